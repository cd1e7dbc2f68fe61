// Seeded random and mutated input for the submission decoder and the JWT verifier: no crash,
// no hang. FUZZ_INPUTS sets the count (make test: 100,000 each; make faults: 1,000,000) and
// FUZZ_SEED the sequence, so a failure is replayed exactly.

import Foundation
import JWTKit
import RegistrySchema
import ServiceRuntime
import Testing
import TestSupport

@Suite(.timeLimit(.minutes(20))) struct FuzzTests {
    static let inputs = Int(ProcessInfo.processInfo.environment["FUZZ_INPUTS"] ?? "") ?? 100_000
    static let seed = UInt64(ProcessInfo.processInfo.environment["FUZZ_SEED"] ?? "") ?? 20_261_125

    /// One random change to `input`: flipped, inserted, deleted or repeated bytes, truncation,
    /// splicing with another sample, structural characters, or plain noise.
    static func mutate(_ input: [UInt8], samples: [[UInt8]], _ g: inout SplitMix64) -> [UInt8] {
        var bytes = input
        let structural = Array(#"{}[]":,\0123456789-+.eE tfn"#.utf8) + [0x00, 0xC3, 0xFF, 0xED, 0xA0, 0x80]
        for _ in 0..<Int.random(in: 1...4, using: &g) {
            let at = bytes.isEmpty ? 0 : Int.random(in: 0..<bytes.count, using: &g)
            switch Int.random(in: 0..<8, using: &g) {
            case 0 where !bytes.isEmpty: bytes[at] ^= UInt8.random(in: 1...255, using: &g)
            case 1: bytes.insert(structural.randomElement(using: &g)!, at: at)
            case 2 where !bytes.isEmpty: bytes.remove(at: at)
            case 3 where !bytes.isEmpty: bytes = Array(bytes.prefix(at))
            case 4:
                let other = samples.randomElement(using: &g)!
                bytes = Array(bytes.prefix(at)) + other.suffix(Int.random(in: 0...other.count, using: &g))
            case 5 where !bytes.isEmpty:
                let end = min(bytes.count, at + Int.random(in: 1...64, using: &g))
                bytes.insert(contentsOf: Array(repeating: bytes[at..<end], count: Int.random(in: 1...50, using: &g)).joined(), at: at)
            case 6 where !bytes.isEmpty: bytes[at] = structural.randomElement(using: &g)!
            default: bytes = (0..<Int.random(in: 0...256, using: &g)).map { _ in UInt8.random(in: 0...255, using: &g) }
            }
        }
        return bytes
    }

    static let submissions: [[UInt8]] = [
        #"{"specversion":"1.0","id":"f-1","source":"/egov/portal","type":"kz.registry.registration.submitted.v1","time":"2026-11-25T09:00:00Z","data":{"kind":"permanent","person":{"iin":"860101300126","surname":"Ахметов","givenName":"Арман","patronymic":"Серікұлы","birthDate":"1986-01-01"},"rca":"1000000000001","validFrom":"2026-11-24","validUntil":null,"ownerConsent":{"ownerIin":"790512400220","givenAt":"2026-11-23T09:00:00Z"},"registration":null,"reason":null}}"#,
        #"{"specversion":"1.0","id":"f-2","source":"/psc","type":"kz.registry.registration.submitted.v1","time":"2026-11-25T09:00:00+05:00","data":{"kind":"temporary","person":{"iin":"790512400220","surname":"Сейітова","givenName":"Әсел","birthDate":"1979-05-12"},"rca":"1000000000002","validFrom":"2026-11-25","validUntil":"2027-01-01"}}"#,
        #"{"specversion":"1.0","id":"f-3","source":"/police","type":"kz.registry.registration.submitted.v1","data":{"kind":"deregistration","person":{"iin":"860101300126","surname":"A","givenName":"B","birthDate":"1986-01-01"},"validFrom":"2026-12-01","registration":"temporary","reason":"emigration"}}"#,
    ].map { Array($0.utf8) }

    /// One valid event of each type the services read on their hot paths (besides submissions).
    static let hotEvents: [[UInt8]] = [
        #"{"data":{"address":{"building":"10","flat":"25","kato":"751110000","locality":"Алматы","rca":"1000000000001","region":"Алматы","street":"Абай даңғылы"},"kind":"permanent","person":{"birthDate":"1986-01-01","givenName":"Арман","iin":"860101300126","patronymic":null,"surname":"Ахметов"},"previousAddress":null,"reason":null,"registration":null,"sequence":3,"submission":{"id":"s-1","source":"/egov/portal"},"validFrom":"2026-11-24","validUntil":null},"datacontenttype":"application/json","id":"a-1","source":"/registry/intake","specversion":"1.0","subject":"860101300126","time":"2026-11-24T10:15:30Z","type":"kz.registry.registration.accepted.v1"}"#,
        #"{"data":{"address":{"building":"55/1","flat":null,"kato":"711410000","locality":"Астана","rca":"1000000000777","region":"Астана","street":"Мәңгілік Ел даңғылы"},"cause":"a-1","change":"moved","effectiveFrom":"2027-02-01","iin":"860101300126","previousAddress":{"building":"10","flat":"25","kato":"751110000","locality":"Алматы","rca":"1000000000001","region":"Алматы","street":"Абай даңғылы"},"sequence":4},"datacontenttype":"application/json","id":"a-1:changed","source":"/registry/address-index","specversion":"1.0","subject":"860101300126","time":"2026-11-24T10:15:30Z","type":"kz.registry.address.changed.v1"}"#,
        #"{"data":{"iin":"991231400002","permanent":{"address":{"building":"10","flat":"25","kato":"751110000","locality":"Алматы","rca":"1000000000001","region":"Алматы","street":"Абай даңғылы"},"validFrom":"2020-01-10"},"sequence":2,"temporary":{"address":{"building":"55/1","flat":null,"kato":"711410000","locality":"Астана","rca":"1000000000777","region":"Астана","street":"Мәңгілік Ел даңғылы"},"validFrom":"2026-12-01","validUntil":"2027-06-01"}},"id":"c-1","source":"/registry/address-index","specversion":"1.0","type":"kz.registry.address.current.v1"}"#,
        #"{"data":{"action":"registration.read","actor":{"org":"School No. 12","role":"agency","sub":"960640000123"},"at":"2026-11-24T10:20:00.25Z","method":"GET","path":"/v1/persons/860101300126/registration","purpose":"Enrolment","service":"address-index","status":200,"subjects":["860101300126"]},"id":"x-1","source":"/registry/address-index","specversion":"1.0","time":"2026-11-24T10:20:00.25Z","type":"kz.registry.access.logged.v1"}"#,
        #"{"data":{"iin":"991231400002","reasons":[{"code":"UNKNOWN_ADDRESS","message":"rca 1000000000999 is not in the catalog"},{"code":"INVALID_PERIOD","message":"too long"}],"submission":{"id":"p-1","source":"/psc/astana-3"}},"id":"r-1","source":"/registry/intake","specversion":"1.0","type":"kz.registry.registration.rejected.v1"}"#,
    ].map { Array($0.utf8) }

    /// The decoder reads the hot event types with its own reader and falls back to Foundation for
    /// anything that reader gives up on; whatever the bytes, the outcome (event or error) must be
    /// exactly Foundation's. A tenth of FUZZ_INPUTS: each input is decoded four times, and the
    /// debug build `make test` runs is slow at it.
    @Test func theFastReaderDecidesNothingDifferentlyFromFoundation() async {
        // CPU-bound for seconds: off the cooperative pool, which the other tests need.
        let (inputs, readFast, valid, differences) = await offPool { () -> (Int, Int, Int, [String]) in
            var g = SplitMix64(seed: Self.seed &+ 2)
            let samples = Self.submissions + Self.hotEvents
            let (fast, foundation) = (RegistryEventDecoder(), RegistryEventDecoder(readsFast: false))
            func outcome<T>(_ body: () throws -> T) -> String {
                do { return "\(try body())" } catch { return "error \(error)" }
            }
            var (readFast, valid, differences) = (0, 0, [String]())
            let inputs = max(Self.inputs / 10, samples.count)
            for index in 0..<inputs {
                let input = index < samples.count ? samples[index] : Self.mutate(samples.randomElement(using: &g)!, samples: samples, &g)
                if (try? JSONReader.read(RegistryEvent.self, from: [UInt8](input))) != nil { readFast += 1 }
                let any = outcome { try fast.decodeEvent(from: input) }
                if !any.hasPrefix("error") { valid += 1 }
                if any != outcome({ try foundation.decodeEvent(from: input) }) { differences.append(String(decoding: input, as: UTF8.self)) }
                if outcome({ try fast.decode(RegistrationSubmitted.self, from: input) }) != outcome({ try foundation.decode(RegistrationSubmitted.self, from: input) }) {
                    differences.append(String(decoding: input, as: UTF8.self))
                }
            }
            return (inputs, readFast, valid, differences)
        }
        print("fuzz: \(inputs) inputs (seed \(Self.seed &+ 2)): \(valid) valid events, \(readFast) of them read without Foundation, \(differences.count) decided differently")
        #expect(differences.isEmpty, "decided differently from Foundation: \(differences.prefix(3))")
        #expect(readFast >= Self.submissions.count + Self.hotEvents.count && readFast < valid, "both paths are exercised")
    }

    @Test func theSubmissionDecoderSurvivesRandomAndMutatedInput() async throws {
        try await FaultRow.measure("fuzzed submission decoder", injected: "\(Self.inputs) mutated inputs", countsMessages: false) { row in
            // CPU-bound for seconds: off the cooperative pool, which the other tests need.
            let (decoded, refused, disagreements, slowest) = await offPool { () -> (Int, [String: Int], [String], Duration) in
                var g = SplitMix64(seed: Self.seed)
                let decoder = RegistryEventDecoder()
                let encoder = RegistryEventEncoder()
                var (decoded, refused, disagreements) = (0, [String: Int](), [String]())
                var slowest = Duration.zero
                for _ in 0..<Self.inputs {
                    let input = Self.mutate(Self.submissions.randomElement(using: &g)!, samples: Self.submissions, &g)
                    let started = ContinuousClock.now
                    let general = try? decoder.decodeEvent(from: input)
                    do throws(EnvelopeError) {
                        let event = try decoder.decode(RegistrationSubmitted.self, from: input)
                        decoded += 1
                        // What it accepts, the general entry point reads as the same submission,
                        // and written out again it reads back the same.
                        let rewritten = (try? encoder.encodeBytes(event)).flatMap { try? decoder.decode(RegistrationSubmitted.self, from: $0) }
                        if general != .registrationSubmitted(event) || rewritten != event { disagreements.append(String(decoding: input, as: UTF8.self)) }
                    } catch {
                        refused[error.rejectionCode.rawValue, default: 0] += 1
                        if case .registrationSubmitted? = general { disagreements.append(String(decoding: input, as: UTF8.self)) }
                    }
                    slowest = max(slowest, ContinuousClock.now - started)
                }
                return (decoded, refused, disagreements, slowest)
            }
            let refusals = refused.values.reduce(0, +)
            print("fuzz: \(Self.inputs) submission inputs (seed \(Self.seed)): \(decoded) still valid, refused \(refused.sorted { $0.key < $1.key }); slowest \(slowest)")
            row.check(disagreements.isEmpty, "\(disagreements.count) inputs decided differently by decode and decodeEvent, or not read back the same: \(disagreements.prefix(2))")
            row.check(refused.count >= 2, "the mutations reach only \(refused.count) kind of refusal")
            row.check(decoded > 0, "no mutated input was still valid: the mutations only break")
            row.check(slowest < .seconds(2), "an input took \(slowest): the decoder can be made to hang")
            row.messages = "\(decoded) still valid, \(refusals) refused (\(refused.count) reasons)"
            return "no crash, every input decided the same by both entry points, slowest \(slowest)"
        }
    }

    @Test func theTokenVerifierSurvivesRandomAndMutatedTokensAndAcceptsOnlyGenuineOnes() async throws {
        try await FaultRow.measure("fuzzed JWT verifier", injected: "\(Self.inputs / 4) mutated tokens", countsMessages: false) { row in
            let keys = await JWTKeyCollection().add(hmac: HMACKey(from: TestSecrets.jwt), digestAlgorithm: .sha256)
            let genuine = try await keys.sign(RegistryTokenClaims(sub: "123456789012", role: .agency, scope: "address:read", org: "Fuzz", expires: Date().addingTimeInterval(3600)))
            let other = try await keys.sign(RegistryTokenClaims(sub: "860101300126", role: .citizen, scope: nil, org: nil, expires: Date().addingTimeInterval(3600)))
            let verifier = await TokenVerifier.hs256(secret: TestSecrets.jwt)
            let expected = try await verifier.verify(genuine)
            let samples = [Array(genuine.utf8), Array(other.utf8), Array("eyJhbGciOiJub25lIn0.eyJzdWIiOiJ4In0.".utf8)]
            var g = SplitMix64(seed: Self.seed &+ 1)
            var (accepted, refused, forged) = (0, 0, 0)
            var slowest = Duration.zero
            for _ in 0..<Self.inputs / 4 {
                let token = String(decoding: Self.mutate(samples[0], samples: samples, &g), as: UTF8.self)
                let started = ContinuousClock.now
                if let principal = try? await verifier.verify(token) {
                    accepted += 1
                    // Only a token that still carries a genuine signature over the same claims (e.g. a
                    // changed base64 padding bit, or the other genuine token spliced in whole) passes.
                    if !(principal == expected || principal.subject == "860101300126") {
                        forged += 1
                        row.fail("a forged token was accepted: \(token)")
                    }
                } else {
                    refused += 1
                }
                slowest = max(slowest, ContinuousClock.now - started)
            }
            print("fuzz: \(Self.inputs / 4) mutated tokens (seed \(Self.seed &+ 1)): \(refused) refused, \(accepted) still genuine; slowest \(slowest)")
            row.check(refused > 0, "no mutated token was refused")
            row.check(slowest < .seconds(2), "a token took \(slowest) to verify")
            row.messages = "\(accepted) still genuine, \(refused) refused"
            return "no crash, \(forged) forgeries accepted, slowest \(slowest)"
        }
    }
}
