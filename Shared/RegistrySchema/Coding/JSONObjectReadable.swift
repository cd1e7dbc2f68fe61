// JSONObjectReadable: a type's members read once, for JSONReader and for Codable's decoders.

/// A type whose JSON form is an object and which reads its members once, in
/// ``init(fields:)``: both its fast form (``JSONReadable/init(json:)``, through a
/// ``JSONReader``) and its `Decodable` form (`init(from:)`, through any `Decoder`) follow from
/// that one reading, so they cannot disagree.
///
/// The order `init(fields:)` asks for the members in is the order a `Decoder` reports faults in
/// (a document with several reports the first it asks for), and a ``JSONReader`` reads in one
/// pass when it matches the document's. The types upstream systems send
/// (``RegistrationSubmitted`` and its parts) ask in the order of the contract's examples, which
/// is also the order their `Decodable` form always reported faults in (the contract's invalid
/// example is checked for its first fault); the registry's own types ask in the order
/// ``JSONObjectFields`` writes (ascending UTF-8 bytes of the keys).
public protocol JSONObjectReadable: JSONReadable, Decodable {
    /// Reads the members from `fields`.
    init<Fields: JSONFieldReading>(fields: inout Fields) throws(Fields.Failure)
}

extension JSONObjectReadable {
    /// Reads the object with a ``JSONReader``.
    @inlinable
    public init(json reader: inout JSONReader) throws(JSONReader.Miss) {
        self = try reader.readMembers { (r: inout JSONReader) throws(JSONReader.Miss) in try Self(fields: &r) }
    }

    /// Decodes the same members through a keyed container.
    public init(from decoder: any Decoder) throws {
        var fields = DecodingFieldReader(container: try decoder.container(keyedBy: FieldName.self))
        try self.init(fields: &fields)
    }
}

/// Where ``JSONObjectReadable/init(fields:)`` reads members: a ``JSONReader`` (the fast form,
/// which gives up with ``JSONReader/Miss``) or a `Decoder`'s keyed container (the `Decodable`
/// form, which reports Foundation's errors).
public protocol JSONFieldReading {
    /// What reading a member throws.
    associatedtype Failure: Error
    /// A member that must be present and not `null`.
    mutating func field<T: JSONReadable & Decodable>(_ name: StaticString, as type: T.Type) throws(Failure) -> T
    /// A member that may be absent or `null` (both `nil`).
    mutating func fieldIfPresent<T: JSONReadable & Decodable>(_ name: StaticString, as type: T.Type) throws(Failure) -> T?
}

extension JSONFieldReading {
    /// A member that must be present and not `null`, of the type the caller expects.
    @inlinable
    public mutating func field<T: JSONReadable & Decodable>(_ name: StaticString) throws(Failure) -> T {
        try field(name, as: T.self)
    }

    /// A member that may be absent or `null`, of the type the caller expects.
    @inlinable
    public mutating func fieldIfPresent<T: JSONReadable & Decodable>(_ name: StaticString) throws(Failure) -> T? {
        try fieldIfPresent(name, as: T.self)
    }
}

extension JSONReader: JSONFieldReading {
    /// A member of the object ``readMembers(_:)`` reads; absent or `null` is a miss.
    @inlinable
    public mutating func field<T: JSONReadable & Decodable>(_ name: StaticString, as type: T.Type) throws(Miss) -> T {
        guard let value = try member(name, { (r: inout JSONReader) throws(Miss) in try T(json: &r) }) else { throw Miss() }
        return value
    }

    /// A member of the object ``readMembers(_:)`` reads, `nil` when absent or `null`.
    @inlinable
    public mutating func fieldIfPresent<T: JSONReadable & Decodable>(_ name: StaticString, as type: T.Type) throws(Miss) -> T? {
        try member(name) { (r: inout JSONReader) throws(Miss) in try r.readIfPresent(T.self) } ?? nil
    }
}

/// Reads members from a `Decoder`'s keyed container, integers (the `Int` and `Int64` members the
/// registry's types have) with `decodeInteger(_:forKey:)`'s precise error for a number that is
/// not one.
struct DecodingFieldReader: JSONFieldReading {
    typealias Failure = any Error
    let container: KeyedDecodingContainer<FieldName>

    func field<T: JSONReadable & Decodable>(_ name: StaticString, as type: T.Type) throws -> T {
        let key = FieldName(name)
        if T.self == Int.self { return try container.decodeInteger(Int.self, forKey: key) as! T }
        if T.self == Int64.self { return try container.decodeInteger(Int64.self, forKey: key) as! T }
        return try container.decode(T.self, forKey: key)
    }

    func fieldIfPresent<T: JSONReadable & Decodable>(_ name: StaticString, as type: T.Type) throws -> T? {
        let key = FieldName(name)
        if T.self == Int.self { return try container.decodeIntegerIfPresent(Int.self, forKey: key) as! T? }
        if T.self == Int64.self { return try container.decodeIntegerIfPresent(Int64.self, forKey: key) as! T? }
        return try container.decodeIfPresent(T.self, forKey: key)
    }
}

extension Int: JSONReadable {
    /// Reads plain digits (``JSONReader/readInt()``).
    public init(json reader: inout JSONReader) throws(JSONReader.Miss) {
        self = try reader.readInt()
    }
}

extension Int64: JSONReadable {
    /// Reads plain digits (``JSONReader/readInt()``).
    public init(json reader: inout JSONReader) throws(JSONReader.Miss) {
        self = Int64(try reader.readInt())
    }
}

extension Bool: JSONReadable {
    public init(json reader: inout JSONReader) throws(JSONReader.Miss) {
        self = try reader.readBool()
    }
}

extension Array: JSONReadable where Element: JSONReadable {
    public init(json reader: inout JSONReader) throws(JSONReader.Miss) {
        self = try reader.readArray(of: Element.self)
    }
}
