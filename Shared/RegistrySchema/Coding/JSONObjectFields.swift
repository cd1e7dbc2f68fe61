// JSONObjectFields: a type's members written once, for JSONWriter and for Codable's encoders.

/// A type whose JSON form is an object and which names its members once, in
/// ``writeFields(to:)``: both its fast form (``JSONWritable/writeJSON(to:)``, through a
/// ``JSONWriter``) and its `Encodable` form (``encode(to:)``, through any `Encoder`) are written
/// from that one list, so they cannot disagree.
///
/// The list names the members in ascending order of their UTF-8 bytes (the order the fast form
/// writes them in; debug builds check it). Reading is the same idea the other way:
/// ``JSONObjectReadable``.
public protocol JSONObjectFields: JSONWritable, Encodable {
    /// Writes the members, keys in sorted order.
    func writeFields<Fields: JSONFieldWriting>(to fields: inout Fields)
}

extension JSONObjectFields {
    /// Writes the object with a ``JSONWriter``.
    public func writeJSON(to writer: inout JSONWriter) {
        writer.object { w in writeFields(to: &w) }
    }

    /// Encodes the same members through a keyed container.
    public func encode(to encoder: any Encoder) throws {
        var fields = EncodingFieldWriter(container: encoder.container(keyedBy: FieldName.self))
        writeFields(to: &fields)
        if let error = fields.error { throw error }
    }
}

/// Where ``JSONObjectFields/writeFields(to:)`` writes members: a ``JSONWriter`` (the fast form)
/// or an `Encoder`'s keyed container (the `Encodable` form).
public protocol JSONFieldWriting {
    /// A member; `nil` as `null`.
    mutating func field<T: JSONWritable & Encodable>(_ name: StaticString, _ value: T?)
    /// A member only when the value is present (Codable's `encodeIfPresent`).
    mutating func fieldIfPresent<T: JSONWritable & Encodable>(_ name: StaticString, _ value: T?)
    /// A member whose value is an array.
    mutating func field<T: JSONWritable & Encodable>(_ name: StaticString, array elements: [T])
}

extension JSONWriter: JSONFieldWriting {}

/// Writes members into an `Encoder`'s keyed container, keeping the first error (the members'
/// list does not throw: the fast form cannot fail).
struct EncodingFieldWriter: JSONFieldWriting {
    var container: KeyedEncodingContainer<FieldName>
    private(set) var error: (any Error)?

    init(container: KeyedEncodingContainer<FieldName>) {
        self.container = container
    }

    mutating func field<T: JSONWritable & Encodable>(_ name: StaticString, _ value: T?) {
        record { try $0.encode(value, forKey: FieldName(name)) }
    }

    mutating func fieldIfPresent<T: JSONWritable & Encodable>(_ name: StaticString, _ value: T?) {
        record { try $0.encodeIfPresent(value, forKey: FieldName(name)) }
    }

    mutating func field<T: JSONWritable & Encodable>(_ name: StaticString, array elements: [T]) {
        record { try $0.encode(elements, forKey: FieldName(name)) }
    }

    private mutating func record(_ write: (inout KeyedEncodingContainer<FieldName>) throws -> Void) {
        guard error == nil else { return }
        do { try write(&container) } catch { self.error = error }
    }
}

/// A member's name as a coding key.
struct FieldName: CodingKey {
    let stringValue: String

    init(_ name: StaticString) {
        stringValue = name.description
    }

    init(stringValue: String) {
        self.stringValue = stringValue
    }

    var intValue: Int? { nil }

    init?(intValue: Int) { nil }
}
