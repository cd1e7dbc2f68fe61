// C2SP signed notes: a text and the signature lines that vouch for it.

import Crypto
import Foundation

/// A note as the C2SP `signed-note` format writes it: the text (non-empty, ending in a newline),
/// a blank line, then one line `— <key name> <base64(key hash ‖ signature)>` per signature. The
/// signature covers the text exactly, its final newline included.
public struct SignedNote: Sendable, Hashable {
    /// The signed text.
    public let text: String
    /// The signature lines' contents: key name and the decoded `key hash ‖ signature`.
    public let signatures: [(name: String, bytes: Data)]

    public static func == (a: SignedNote, b: SignedNote) -> Bool {
        a.text == b.text && a.signatures.map(\.name) == b.signatures.map(\.name) && a.signatures.map(\.bytes) == b.signatures.map(\.bytes)
    }

    public func hash(into hasher: inout Hasher) {
        hasher.combine(text)
    }

    /// Signs `text` with `key`, naming it `name`.
    /// - Returns: The whole note.
    public static func sign(_ text: String, name: String, key: Curve25519.Signing.PrivateKey) throws -> String {
        let verifier = try NoteVerifierKey(name: name, publicKey: key.publicKey)
        let signature = try key.signature(for: Data(text.utf8))
        return text + "\n" + "\u{2014} \(name) \((verifier.keyHash + signature).base64EncodedString())\n"
    }

    /// Splits a note into its text and signature lines.
    /// - Throws: ``SignedNoteError/malformed(_:)`` when it is not a signed note.
    public init(parsing note: String) throws {
        guard let split = note.range(of: "\n\n", options: .backwards) else { throw SignedNoteError.malformed("no blank line before the signatures") }
        // The text is everything up to and including the newline before the blank line.
        let text = String(note[..<split.lowerBound]) + "\n"
        guard !text.isEmpty, note.hasSuffix("\n") else { throw SignedNoteError.malformed("a note ends with a newline") }
        var signatures: [(String, Data)] = []
        for line in note[split.upperBound...].split(separator: "\n", omittingEmptySubsequences: false).dropLast() {
            let fields = line.split(separator: " ", omittingEmptySubsequences: false)
            guard fields.count == 3, fields[0] == "\u{2014}", let bytes = Data(base64Encoded: String(fields[2])), bytes.count > 4 else {
                throw SignedNoteError.malformed("not a signature line: \(line.prefix(80))")
            }
            signatures.append((String(fields[1]), bytes))
        }
        guard !signatures.isEmpty else { throw SignedNoteError.malformed("no signature line") }
        self.text = text
        self.signatures = signatures
    }

    /// Whether one of the signature lines is a valid signature of the text by `verifier`.
    public func isSigned(by verifier: NoteVerifierKey) -> Bool {
        signatures.contains { signature in
            signature.name == verifier.name && signature.bytes.prefix(4) == verifier.keyHash
                && verifier.publicKey.isValidSignature(signature.bytes.dropFirst(4), for: Data(text.utf8))
        }
    }
}

/// A signed note or a verifier key that cannot be used.
public enum SignedNoteError: Error, CustomStringConvertible, Equatable {
    case malformed(String)
    case badKeyName(String)
    case badVerifierKey(String)
    case badCheckpoint(String)

    public var description: String {
        switch self {
        case .malformed(let why): "not a signed note: \(why)"
        case .badKeyName(let name): "'\(name)' cannot name a note key (no spaces or '+')"
        case .badVerifierKey(let text): "not an Ed25519 note verifier key (<name>+<8 hex digits>+<base64>): \(text.prefix(120))"
        case .badCheckpoint(let why): "not a checkpoint: \(why)"
        }
    }
}
