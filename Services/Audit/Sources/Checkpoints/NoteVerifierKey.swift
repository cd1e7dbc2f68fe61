// The public half of a C2SP signed-note key: what a witness pins.

import Crypto
import Foundation

/// An Ed25519 note verifier key in the C2SP signed-note text form
/// `<name>+<key hash, 8 hex digits>+<base64(0x01 ‖ public key)>`, where the key hash is the first
/// four bytes of `SHA-256(name ‖ 0x0A ‖ 0x01 ‖ public key)`. Every signature line names its key by
/// name and key hash, so a verifier knows which key to try.
public struct NoteVerifierKey: Sendable, Hashable, CustomStringConvertible {
    /// The key's name (the log origin, for the audit).
    public let name: String
    /// The Ed25519 public key.
    public let publicKey: Curve25519.Signing.PublicKey
    /// The 4-byte key hash.
    public let keyHash: Data

    public static func == (a: NoteVerifierKey, b: NoteVerifierKey) -> Bool {
        a.name == b.name && a.publicKey.rawRepresentation == b.publicKey.rawRepresentation
    }

    public func hash(into hasher: inout Hasher) {
        hasher.combine(name)
        hasher.combine(publicKey.rawRepresentation)
    }

    /// The signature algorithm byte of Ed25519 in signed notes.
    static let ed25519: UInt8 = 0x01

    /// The verifier of `publicKey` under `name`.
    /// - Throws: ``SignedNoteError`` when the name is empty or holds whitespace or `+`.
    public init(name: String, publicKey: Curve25519.Signing.PublicKey) throws {
        guard Self.isValidName(name) else { throw SignedNoteError.badKeyName(name) }
        self.name = name
        self.publicKey = publicKey
        var hasher = SHA256()
        hasher.update(data: Data(name.utf8) + [0x0A, Self.ed25519])
        hasher.update(data: publicKey.rawRepresentation)
        keyHash = Data(hasher.finalize().prefix(4))
    }

    /// Parses the text form.
    /// - Throws: ``SignedNoteError/badVerifierKey(_:)`` for anything else.
    public init(parsing text: String) throws {
        // The name holds no `+` and the hash is hex, but base64 may hold `+`: it is the rest.
        let parts = text.trimmingCharacters(in: .whitespacesAndNewlines).split(separator: "+", maxSplits: 2, omittingEmptySubsequences: false)
        guard parts.count == 3, parts[1].count == 8, let hash = Data(hex: String(parts[1])),
              let material = Data(base64Encoded: String(parts[2])), material.count == 33, material.first == Self.ed25519,
              let key = try? Curve25519.Signing.PublicKey(rawRepresentation: material.dropFirst())
        else { throw SignedNoteError.badVerifierKey(text) }
        try self.init(name: String(parts[0]), publicKey: key)
        guard keyHash == hash else { throw SignedNoteError.badVerifierKey(text) }
    }

    /// `<name>+<key hash hex>+<base64(0x01 ‖ public key)>`.
    public var description: String {
        "\(name)+\(keyHash.hexString)+\((Data([Self.ed25519]) + publicKey.rawRepresentation).base64EncodedString())"
    }

    static func isValidName(_ name: String) -> Bool {
        !name.isEmpty && !name.contains("+") && !name.unicodeScalars.contains { CharacterSet.whitespacesAndNewlines.contains($0) }
    }
}

extension Data {
    /// Lower-case hexadecimal.
    public var hexString: String { map { String(format: "%02x", $0) }.joined() }

    /// Decodes an even number of hexadecimal digits.
    public init?(hex: String) {
        guard hex.count % 2 == 0 else { return nil }
        var bytes: [UInt8] = []
        var index = hex.startIndex
        while index < hex.endIndex {
            let next = hex.index(index, offsetBy: 2)
            guard let byte = UInt8(hex[index..<next], radix: 16) else { return nil }
            bytes.append(byte)
            index = next
        }
        self.init(bytes)
    }
}
