// The body of a C2SP checkpoint: origin, tree size, root hash.

import Foundation

/// A transparency-log checkpoint (C2SP `tlog-checkpoint`): the signed note text is three lines,
/// the log origin, the tree size in decimal and the base64 RFC 9162 root hash.
public struct CheckpointNote: Sendable, Hashable {
    /// The log's name.
    public let origin: String
    /// Leaves in the tree.
    public let size: Int
    /// The tree head.
    public let root: Data

    /// A checkpoint.
    public init(origin: String, size: Int, root: Data) {
        self.origin = origin
        self.size = size
        self.root = root
    }

    /// The note text that is signed: the three lines, each with its newline.
    public var text: String { "\(origin)\n\(size)\n\(root.base64EncodedString())\n" }

    /// Reads and checks a signed checkpoint.
    /// - Parameters:
    ///   - note: The whole note.
    ///   - verifier: The key that must have signed it; its name must be the origin.
    /// - Throws: ``SignedNoteError`` when it is no checkpoint or `verifier` did not sign it.
    public init(verifying note: String, with verifier: NoteVerifierKey) throws {
        let parsed = try SignedNote(parsing: note)
        let lines = parsed.text.split(separator: "\n", omittingEmptySubsequences: false).dropLast()
        guard lines.count >= 3, let size = Int(lines[lines.startIndex + 1]), size >= 0,
              let root = Data(base64Encoded: String(lines[lines.startIndex + 2])), root.count == 32
        else { throw SignedNoteError.badCheckpoint("the text is not origin, size and root hash") }
        guard parsed.isSigned(by: verifier) else {
            throw SignedNoteError.badCheckpoint("no valid signature by \(verifier.name)+\(verifier.keyHash.hexString)")
        }
        self.init(origin: String(lines[lines.startIndex]), size: size, root: root)
    }
}
