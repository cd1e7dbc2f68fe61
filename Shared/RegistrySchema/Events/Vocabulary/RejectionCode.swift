// The reason codes of a rejection (docs/architecture.md §4.4).

/// Why intake rejected a submission, in the order intake applies the rules (docs/architecture.md §4.4).
public enum RejectionCode: String, CaseIterable, Sendable, Codable {
    /// Not JSON, not a CloudEvent, wrong type for a field, missing required field, unknown `kind`.
    case malformed = "MALFORMED"
    /// `specversion` is not `1.0` or `type` is not a submission type.
    case unsupportedType = "UNSUPPORTED_TYPE"
    /// The person IIN (or `ownerConsent.ownerIin`) fails docs/architecture.md §4.1.
    case invalidIIN = "INVALID_IIN"
    /// `birthDate` disagrees with the IIN's digits 1-7.
    case iinBirthDateMismatch = "IIN_BIRTHDATE_MISMATCH"
    /// `rca` is not in the catalog, or retired.
    case unknownAddress = "UNKNOWN_ADDRESS"
    /// The catalog marks the address non-residential.
    case notResidential = "NOT_RESIDENTIAL"
    /// The address has owners, the person is not one of them, and no valid consent names one.
    case ownerConsentRequired = "OWNER_CONSENT_REQUIRED"
    /// The validity period breaks a rule (missing or extra `validUntil`, too long, too far ahead…).
    case invalidPeriod = "INVALID_PERIOD"
    /// The person is already registered at that RCA.
    case alreadyRegistered = "ALREADY_REGISTERED"
    /// A deregistration of a registration the person does not have.
    case notRegistered = "NOT_REGISTERED"

    /// Decodes the string; an unknown one throws with an ``UnknownValueError``.
    public init(from decoder: any Decoder) throws {
        self = try Self.decodeContractValue(from: decoder, field: "code")
    }
}

extension RejectionCode: JSONReadable, JSONWritable {}
