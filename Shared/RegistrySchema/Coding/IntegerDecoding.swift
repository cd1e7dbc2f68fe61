// Integer fields with a precise error when the JSON number is not a whole number that fits.

extension KeyedDecodingContainer {
    /// Decodes an integer, turning "this number does not fit" into a `typeMismatch` at the
    /// field: "expected integer, found number 2.5". (Foundation's JSONDecoder on Linux reports
    /// `2.5` or `1e30` for an `Int` as "not valid JSON" for the whole document.)
    func decodeInteger<T: FixedWidthInteger & Decodable>(_ type: T.Type, forKey key: Key) throws -> T {
        do {
            return try decode(T.self, forKey: key)
        } catch {
            throw integerMismatch(error, T.self, forKey: key)
        }
    }

    /// Decodes an integer that may be absent or null (see ``decodeInteger(_:forKey:)``).
    func decodeIntegerIfPresent<T: FixedWidthInteger & Decodable>(_ type: T.Type, forKey key: Key) throws -> T? {
        do {
            return try decodeIfPresent(T.self, forKey: key)
        } catch {
            throw integerMismatch(error, T.self, forKey: key)
        }
    }

    /// The error to report: a `typeMismatch` when the value is a number that is not a `T`,
    /// otherwise the original error.
    private func integerMismatch<T>(_ error: any Error, _ type: T.Type, forKey key: Key) -> any Error {
        switch error as? DecodingError {
        case .keyNotFound?, .valueNotFound?, .typeMismatch?: return error
        default: break
        }
        guard let number = try? decode(Double.self, forKey: key) else { return error }
        let shown = number.rounded() == number && abs(number) < 1e15 ? String(Int64(number)) : String(number)
        return DecodingError.typeMismatch(T.self, .init(
            codingPath: codingPath + [key],
            debugDescription: "Expected to decode \(T.self) but found number \(shown) instead."))
    }
}
