// IIN: the §4.1 algorithm against computed vectors, the contract's original examples (wrong check digits), masking.

import Foundation
import RegistrySchema
import Testing

@Suite("IIN")
struct IINTests {
    struct Vector: Decodable, Sendable, CustomTestStringConvertible {
        let iin: String
        let note: String
        let error: String?
        var testDescription: String { "\(iin) (\(note))" }
    }

    struct VectorFile: Decodable {
        let valid: [Vector]
        let invalid: [Vector]
    }

    static let vectors: VectorFile? = try? JSONDecoder().decode(VectorFile.self, from: Vectors.data("", "iin.json"))

    @Test("a valid vector is accepted", arguments: vectors?.valid ?? [])
    func valid(vector: Vector) throws {
        #expect(IIN.validate(vector.iin) == nil)
        let iin = try IIN(validating: vector.iin)
        #expect(iin.rawValue == vector.iin)
        #expect(IIN(rawValue: vector.iin) == iin)
    }

    @Test("an invalid vector is refused with its reason", arguments: vectors?.invalid ?? [])
    func invalid(vector: Vector) throws {
        let failure = try #require(IIN.validate(vector.iin))
        #expect(caseName(failure) == vector.error)
        #expect(IIN(rawValue: vector.iin) == nil)
        #expect(throws: failure) { try IIN(validating: vector.iin) }
    }

    @Test("the vector file covers every century digit, both weight rounds and every failure")
    func coverage() throws {
        let file = try #require(Self.vectors)
        let centuryDigits = Set(file.valid.map { $0.iin[$0.iin.index($0.iin.startIndex, offsetBy: 6)] })
        #expect(centuryDigits == Set("0123456"))
        #expect(file.valid.contains { $0.note.contains("second round") })
        let failures = Set(file.invalid.compactMap(\.error))
        #expect(failures == ["wrongLength", "notDigits", "invalidCenturyDigit", "impossibleBirthDate", "checkDigitUndefined", "checkDigitMismatch"])
    }

    @Test("the second weight round decides when the first gives 10")
    func secondRound() throws {
        // 99123140000: Σ i·dᵢ mod 11 = 10, Σ wᵢ·dᵢ mod 11 = 2.
        #expect(IIN.validate("991231400002") == nil)
        #expect(IIN.validate("991231400000") == .checkDigitMismatch(expected: 2, found: 0))
        // 86010130086: both rounds give 10, so no twelfth digit makes it valid.
        for last in 0...9 {
            #expect(IIN.validate("86010130086\(last)") == .checkDigitUndefined)
        }
    }

    @Test("the contract's original examples 860101300125 and 790512400228 fail the check digit (6 and 0 expected)")
    func designExamples() {
        #expect(IIN.validate("860101300125") == .checkDigitMismatch(expected: 6, found: 5))
        #expect(IIN.validate("790512400228") == .checkDigitMismatch(expected: 0, found: 8))
        #expect(IIN.validate("860101300126") == nil)
        #expect(IIN.validate("790512400220") == nil)
    }

    @Test("birth date and sex come from digits 1-7; digit 7 = 0 encodes neither")
    func birthDateAndSex() throws {
        let arman = try IIN(validating: "860101300126")
        #expect(arman.birthDate == CalendarDate(year: 1986, month: 1, day: 1))
        #expect(arman.sex == .male)
        let owner = try IIN(validating: "790512400220")
        #expect(owner.birthDate == CalendarDate(year: 1979, month: 5, day: 12))
        #expect(owner.sex == .female)
        #expect(try IIN(validating: "650315100004").birthDate == CalendarDate(year: 1865, month: 3, day: 15))
        #expect(try IIN(validating: "080229500002").birthDate == CalendarDate(year: 2008, month: 2, day: 29))
        #expect(try IIN(validating: "240117600004").sex == .female)
        let unencoded = try IIN(validating: "990230000006")
        #expect(unencoded.birthDate == nil)
        #expect(unencoded.sex == nil)
    }

    @Test("masked shows the first 6 and last 2 digits; description is masked too")
    func masking() throws {
        let iin = try IIN(validating: "860101300126")
        #expect(iin.masked == "860101****26")
        #expect(iin.description == "860101****26")
        #expect("\(iin)" == "860101****26")
        #expect(IIN.mask("860101300125") == "860101****25")
        #expect(IIN.mask("1234567") == "****")
    }

    @Test("reasons read well and never carry the whole number")
    func messages() {
        #expect(IINValidationError.checkDigitMismatch(expected: 6, found: 5).description == "invalid IIN: check digit (expected 6, found 5)")
        #expect(IINValidationError.checkDigitUndefined.description.hasPrefix("invalid IIN: check digit"))
        #expect(IINValidationError.wrongLength(11).description == "invalid IIN: must be 12 digits, found 11 characters")
        #expect(IIN.validate("８60101300126") == .notDigits)
    }

    @Test("Codable form is the plain string; an invalid one names the field")
    func codable() throws {
        struct Holder: Codable { let owner: IIN }
        let holder = try JSONDecoder().decode(Holder.self, from: Data(#"{"owner":"860101300126"}"#.utf8))
        #expect(holder.owner.rawValue == "860101300126")
        #expect(String(decoding: try JSONEncoder().encode(holder), as: UTF8.self) == #"{"owner":"860101300126"}"#)
        let error = #expect(throws: DecodingError.self) {
            try JSONDecoder().decode(Holder.self, from: Data(#"{"owner":"860101300125"}"#.utf8))
        }
        let reduced = SchemaDecodingError(try #require(error))
        #expect(reduced.field == "owner")
        #expect(reduced.kind == .invalidIIN)
        #expect(reduced.rejectionCode == .invalidIIN)
    }

    private func caseName(_ failure: IINValidationError) -> String {
        switch failure {
        case .wrongLength: "wrongLength"
        case .notDigits: "notDigits"
        case .invalidCenturyDigit: "invalidCenturyDigit"
        case .impossibleBirthDate: "impossibleBirthDate"
        case .checkDigitUndefined: "checkDigitUndefined"
        case .checkDigitMismatch: "checkDigitMismatch"
        }
    }
}

@Suite struct IINIssuingTests {
    @Test func issuedNumbersAreValidAndEncodeTheirBirthDateAndSex() throws {
        var issued = 0
        for (year, sex) in [(1899, IIN.Sex.male), (1986, .female), (2024, .male)] {
            let date = try #require(CalendarDate(year: year, month: 2, day: 28))
            for serial in 0..<300 {
                guard let iin = IIN.issue(birthDate: date, sex: sex, serial: serial) else { continue }
                #expect(iin.birthDate == date)
                #expect(iin.sex == sex)
                issued += 1
            }
        }
        #expect(issued > 880, "only numbers without a check digit are skipped")
        #expect(IIN.issue(birthDate: CalendarDate(year: 1986, month: 1, day: 1)!, sex: .male, serial: 12)?.rawValue == "860101300126")
    }
}
