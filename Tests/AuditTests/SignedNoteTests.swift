// Signed notes against the published example of Go's sumdb/note package (the format's origin)
// and a verifier key whose base64 holds '+'.

import Crypto
import Foundation
import Testing
@testable import Audit

@Suite struct SignedNoteTests {
    /// golang.org/x/mod/sumdb/note's documented example: its key (PRIVATE+KEY+PeterNeumann+c74f20a3+…),
    /// verifier key and signed note. Ed25519 is deterministic, so signing the text must give the note.
    static let seed = Data(base64Encoded: "AYEKFALVFGyNhPJEMzD1QIDr+Y7hfZx09iUvxdXHKDFz")!.dropFirst()
    static let verifierKey = "PeterNeumann+c74f20a3+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW"
    static let text = "If you think cryptography is the answer to your problem,\nthen you don't know what your problem is.\n"
    static let note = text + "\n\u{2014} PeterNeumann x08go/ZJkuBS9UG/SffcvIAQxVBtiFupLLr8pAcElZInNIuGUgYN1FFYC2pZSNXgKvqfqdngotpRZb6KE6RyyBwJnAM=\n"

    @Test func goSumdbsExampleSignsAndVerifiesByteForByte() throws {
        let key = try Curve25519.Signing.PrivateKey(rawRepresentation: Self.seed)
        let verifier = try NoteVerifierKey(name: "PeterNeumann", publicKey: key.publicKey)
        #expect(verifier.description == Self.verifierKey)
        #expect(try SignedNote.sign(Self.text, name: "PeterNeumann", key: key) == Self.note)
        let parsed = try SignedNote(parsing: Self.note)
        let published = try NoteVerifierKey(parsing: Self.verifierKey)
        #expect(parsed.text == Self.text && parsed.isSigned(by: published))
        let altered = try SignedNote(parsing: Self.note.replacingOccurrences(of: "cryptography", with: "cryptographY"))
        #expect(!altered.isSigned(by: verifier))
    }

    @Test func aVerifierKeyWhoseBase64HoldsAPlusParses() throws {
        var found: NoteVerifierKey?
        while found == nil {
            let candidate = try NoteVerifierKey(name: "address-registry/audit", publicKey: Curve25519.Signing.PrivateKey().publicKey)
            if candidate.description.split(separator: "+").count > 3 { found = candidate }
        }
        let parsed = try NoteVerifierKey(parsing: found!.description)
        #expect(parsed == found!)
        #expect(throws: SignedNoteError.self) { try NoteVerifierKey(parsing: "name+c74f20a3") }
        #expect(throws: SignedNoteError.self) { try NoteVerifierKey(parsing: "PeterNeumann+00000000+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW") }
    }
}
