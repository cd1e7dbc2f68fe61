// The C2SP verifier key text: what witnesses pin and tools parse.

import Audit
import Crypto
import Foundation
import Testing

@Suite struct NoteVerifierKeyTests {
    /// Keys from fixed seeds, so that the test sees the same keys on every run.
    static func key(seed: UInt8) throws -> Curve25519.Signing.PublicKey {
        try Curve25519.Signing.PrivateKey(rawRepresentation: Data(repeating: seed, count: 32)).publicKey
    }

    /// About half of all keys have a `+` in their base64; the name and the hex hash never do, so
    /// the key is everything after the second `+`.
    @Test func aKeyWhoseBase64HoldsAPlusParses() throws {
        let keys = try (0...40).map { try NoteVerifierKey(name: "address-registry/audit", publicKey: Self.key(seed: $0)) }
        let withPlus = try #require(keys.first { $0.description.split(separator: "+").count > 3 }, "one of 41 keys has a + in its base64")
        #expect(try NoteVerifierKey(parsing: withPlus.description) == withPlus)
        #expect(try NoteVerifierKey(parsing: withPlus.description + "\n") == withPlus, "a trailing newline, as the route serves it")
        for key in keys {
            #expect(try NoteVerifierKey(parsing: key.description) == key)
        }
    }

    @Test func aKeyWithAnotherHashIsRefused() throws {
        let key = try NoteVerifierKey(name: "address-registry/audit", publicKey: Self.key(seed: 7))
        let parts = key.description.split(separator: "+", maxSplits: 2).map(String.init)
        let forged = [parts[0], "00000000", parts[2]].joined(separator: "+")
        #expect(throws: SignedNoteError.badVerifierKey(forged)) { try NoteVerifierKey(parsing: forged) }
    }
}
