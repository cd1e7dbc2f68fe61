// Why a message is not a usable registry CloudEvent, in the classes intake rejects with.

/// A message that could not be decoded as the expected CloudEvent, split the way docs/architecture.md §4.4
/// rejects: structural problems (`MALFORMED`, or `INVALID_IIN` for an IIN that fails §4.1)
/// and events of another version or type (`UNSUPPORTED_TYPE`).
///
/// Checked in this order: the envelope's own structure (required attributes present,
/// non-empty strings), then `specversion` and `type`, then `data` — data can only be read
/// against a known type.
public enum EnvelopeError: Error, Sendable, Hashable, CustomStringConvertible {
    /// Not JSON, not a CloudEvent, or `data` not of the contract's shape.
    case malformed(SchemaDecodingError)
    /// `specversion` is a string other than `1.0`.
    case unsupportedSpecVersion(found: String)
    /// `type` is not the expected event type (or, for ``RegistryEvent``, not a registry type).
    case unsupportedType(found: String, expected: [String])

    /// The rejection code of docs/architecture.md §4.4 this error stands for.
    public var rejectionCode: RejectionCode {
        switch self {
        case .malformed(let error): error.rejectionCode
        case .unsupportedSpecVersion, .unsupportedType: .unsupportedType
        }
    }

    /// The path of the offending field, e.g. `data.person.iin`; `nil` for the whole document.
    public var field: String? {
        switch self {
        case .malformed(let error): error.field
        case .unsupportedSpecVersion: "specversion"
        case .unsupportedType: "type"
        }
    }

    /// What was wrong, e.g. `missing required field`.
    public var message: String {
        switch self {
        case .malformed(let error):
            return error.message
        case .unsupportedSpecVersion(let found):
            return "unsupported specversion '\(found)', expected '\(CloudEventsContentType.specVersion)'"
        case .unsupportedType(let found, let expected):
            let allowed = expected.count == 1 ? "'\(expected[0])'" : "a registry event type"
            return "unsupported type '\(found)', expected \(allowed)"
        }
    }

    /// `field: message`, or the message alone.
    public var description: String {
        field.map { "\($0): \(message)" } ?? message
    }
}
