// SchemaDecodingError: a decoding failure as a field path and a message upstream can act on.

/// A decoding failure reduced to what an upstream system can act on: the path of the field
/// (`data.person.iin`), the kind of problem, and a short message (`invalid IIN: check digit …`).
///
/// Built from the `DecodingError`s of `JSONDecoder` and the validation errors of the module's
/// value types (``IINValidationError``, ``IdentifierFormatError``, ``CalendarDate/ParseError``,
/// ``Timestamp/ParseError``, ``UnknownValueError``).
public struct SchemaDecodingError: Error, Sendable, Hashable, CustomStringConvertible {
    /// The kind of problem.
    public enum Kind: String, Sendable, Hashable, CaseIterable, Codable {
        /// The bytes are not JSON.
        case notJSON
        /// A required field is absent.
        case missingField
        /// A field has the wrong JSON type (including `null` for a required field).
        case wrongType
        /// A string outside an enumeration, e.g. an unknown `kind`.
        case unknownValue
        /// A date that is not `YYYY-MM-DD` or not a real day.
        case invalidDate
        /// A timestamp that is not RFC 3339.
        case invalidTimestamp
        /// An IIN that fails docs/architecture.md §4.1.
        case invalidIIN
        /// An RCA that is not 1-32 digits.
        case invalidRCA
        /// A KATO code that is not 9 digits.
        case invalidKATO
        /// Any other invalid value (e.g. an empty `id`).
        case invalidValue
    }

    /// The path of the offending field, e.g. `data.person.iin` or `data.owners[0]`; `nil` when
    /// the problem is the whole document.
    public let field: String?
    /// The kind of problem.
    public let kind: Kind
    /// What was wrong, e.g. `missing required field`, `expected string, found number`.
    public let message: String

    /// Creates an error.
    public init(field: String?, kind: Kind, message: String) {
        self.field = field
        self.kind = kind
        self.message = message
    }

    /// Reduces any error thrown while decoding to a field, a kind and a message.
    public init(_ error: any Error) {
        switch error {
        case let error as SchemaDecodingError:
            self = error
        case let error as EnvelopeError:
            if case .malformed(let inner) = error {
                self = inner
            } else {
                self.init(field: error.field, kind: .invalidValue, message: error.message)
            }
        case let error as DecodingError:
            self.init(decodingError: error)
        default:
            self.init(field: nil, kind: .invalidValue, message: String(describing: error))
        }
    }

    private init(decodingError error: DecodingError) {
        switch error {
        case .keyNotFound(let key, let context):
            self.init(field: Self.path(context.codingPath + [key]), kind: .missingField, message: "missing required field")
        case .valueNotFound(let type, let context):
            self.init(field: Self.path(context.codingPath), kind: .wrongType, message: "expected \(Self.jsonType(type)), found null")
        case .typeMismatch(let type, let context):
            var message = "expected \(Self.jsonType(type))"
            if let found = Self.foundType(in: context.debugDescription) { message += ", found \(found)" }
            self.init(field: Self.path(context.codingPath), kind: .wrongType, message: message)
        case .dataCorrupted(let context):
            let field = Self.path(context.codingPath)
            switch context.underlyingError {
            case let failure as IINValidationError:
                self.init(field: field, kind: .invalidIIN, message: failure.description)
            case let failure as IdentifierFormatError:
                self.init(field: field, kind: failure.identifier == .rca ? .invalidRCA : .invalidKATO, message: failure.description)
            case let failure as CalendarDate.ParseError:
                self.init(field: field, kind: .invalidDate, message: failure.description)
            case let failure as Timestamp.ParseError:
                self.init(field: field, kind: .invalidTimestamp, message: failure.description)
            case let failure as UnknownValueError:
                self.init(field: field, kind: .unknownValue, message: failure.description)
            default:
                if context.codingPath.isEmpty {
                    self.init(field: nil, kind: .notJSON, message: "not valid JSON")
                } else {
                    self.init(field: field, kind: .invalidValue, message: context.debugDescription)
                }
            }
        @unknown default:
            self.init(field: nil, kind: .invalidValue, message: String(describing: error))
        }
    }

    /// The rejection code of docs/architecture.md §4.4: `INVALID_IIN` for an IIN that fails §4.1 (the person's
    /// or `ownerConsent.ownerIin`), `MALFORMED` for everything else.
    public var rejectionCode: RejectionCode {
        kind == .invalidIIN ? .invalidIIN : .malformed
    }

    /// `field: message`, or the message alone.
    public var description: String {
        field.map { "\($0): \(message)" } ?? message
    }

    /// `data.owners[0]` from a coding path; `nil` for the root.
    static func path(_ codingPath: [any CodingKey]) -> String? {
        guard !codingPath.isEmpty else { return nil }
        var result = ""
        for key in codingPath {
            if let index = key.intValue {
                result += "[\(index)]"
            } else {
                if !result.isEmpty { result += "." }
                result += key.stringValue
            }
        }
        return result
    }

    /// The JSON name of the type a decoder expected.
    static func jsonType(_ type: Any.Type) -> String {
        switch type {
        case is String.Type, is Substring.Type, is any JSONStringValue.Type: return "string"
        case is Bool.Type: return "boolean"
        case is any BinaryInteger.Type: return "integer"
        case is any BinaryFloatingPoint.Type: return "number"
        default:
            let name = String(describing: type)
            if name.hasPrefix("Array") || name.hasPrefix("UnkeyedDecodingContainer") { return "array" }
            // Dictionaries, keyed containers and the module's structs are JSON objects.
            return "object"
        }
    }

    /// The JSON name of what was found, from Foundation's "… but found a string instead."
    static func foundType(in debugDescription: String) -> String? {
        guard let start = debugDescription.range(of: "found "),
              let end = debugDescription.range(of: " instead", range: start.upperBound..<debugDescription.endIndex)
        else { return nil }
        var found = String(debugDescription[start.upperBound..<end.lowerBound])
        for article in ["a ", "an "] where found.hasPrefix(article) {
            found.removeFirst(article.count)
        }
        switch found {
        case "dictionary": return "object"
        case "bool": return "boolean"
        default: return found
        }
    }
}

/// Describes any error thrown while decoding a message as the offending field's path (`nil` for
/// the whole document) and a message, e.g. `("data.person.iin", "invalid IIN: check digit …")`.
///
/// Handles ``EnvelopeError`` (including `specversion`/`type` problems), ``SchemaDecodingError``,
/// `DecodingError` and the module's validation errors; anything else becomes its description.
public func describe(_ error: any Error) -> (field: String?, message: String) {
    if let envelopeError = error as? EnvelopeError {
        return (envelopeError.field, envelopeError.message)
    }
    let reduced = SchemaDecodingError(error)
    return (reduced.field, reduced.message)
}
