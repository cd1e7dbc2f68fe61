// Loading the golden vectors and comparing JSON by value.

import Foundation
import RegistrySchema
import Testing

/// The test vectors shipped as resources of this target.
enum Vectors {
    static var root: URL {
        get throws {
            guard let url = Bundle.module.url(forResource: "Vectors", withExtension: nil) else {
                throw VectorError.missing("Vectors")
            }
            return url
        }
    }

    /// The files of a vector folder, sorted by name.
    static func files(in folder: String) throws -> [URL] {
        let directory = try root.appendingPathComponent(folder, isDirectory: true)
        return try FileManager.default.contentsOfDirectory(at: directory, includingPropertiesForKeys: nil)
            .filter { $0.pathExtension == "json" && $0.lastPathComponent != "manifest.json" }
            .sorted { $0.lastPathComponent < $1.lastPathComponent }
    }

    /// The names of the valid vectors (for parameterised tests).
    static let validNames: [String] = (try? files(in: "valid").map(\.lastPathComponent)) ?? []

    /// The entries of `invalid/manifest.json` (for parameterised tests).
    static let invalidEntries: [InvalidVector] = (try? loadManifest()) ?? []

    static func data(_ folder: String, _ name: String) throws -> Data {
        try Data(contentsOf: root.appendingPathComponent(folder).appendingPathComponent(name))
    }

    static func loadManifest() throws -> [InvalidVector] {
        struct Manifest: Decodable { let vectors: [InvalidVector] }
        return try JSONDecoder().decode(Manifest.self, from: data("invalid", "manifest.json")).vectors
    }
}

enum VectorError: Error {
    case missing(String)
}

/// One entry of `invalid/manifest.json`.
struct InvalidVector: Decodable, Sendable, CustomTestStringConvertible {
    /// The file in `invalid/`.
    let file: String
    /// The event type the reader expects; `nil`: decode by the event's own type.
    let decodeAs: String?
    /// `malformed`, `unsupportedSpecVersion`, `unsupportedType`, or `nil` when Swift accepts it.
    let error: String?
    /// The field path, `nil` for the document.
    let field: String?
    /// The `SchemaDecodingError.Kind` for `malformed`.
    let kind: String?
    /// The rejection code the error maps to (or, when Swift accepts it, intake's code).
    let rejectionCode: String
    let schemaDetectable: Bool
    /// The start of the expected message, when the manifest pins it.
    let message: String?
    let note: String

    var testDescription: String { file }
}

/// A parsed JSON value, compared by value (object key order and number spelling do not matter).
indirect enum JSONValue: Equatable, Decodable, CustomStringConvertible {
    case null
    case bool(Bool)
    case number(Double)
    case string(String)
    case array([JSONValue])
    case object([String: JSONValue])

    init(from decoder: any Decoder) throws {
        let container = try decoder.singleValueContainer()
        if container.decodeNil() {
            self = .null
        } else if let value = try? container.decode(Bool.self) {
            self = .bool(value)
        } else if let value = try? container.decode(Double.self) {
            self = .number(value)
        } else if let value = try? container.decode(String.self) {
            self = .string(value)
        } else if let value = try? container.decode([JSONValue].self) {
            self = .array(value)
        } else {
            self = .object(try container.decode([String: JSONValue].self))
        }
    }

    init(parsing data: Data) throws {
        self = try JSONDecoder().decode(JSONValue.self, from: data)
    }

    subscript(key: String) -> JSONValue? {
        if case .object(let members) = self { return members[key] }
        return nil
    }

    var objectKeys: Set<String> {
        if case .object(let members) = self { return Set(members.keys) }
        return []
    }

    var description: String {
        switch self {
        case .null: "null"
        case .bool(let value): "\(value)"
        case .number(let value): "\(value)"
        case .string(let value): "\"\(value)\""
        case .array(let values): "[" + values.map(\.description).joined(separator: ", ") + "]"
        case .object(let members):
            "{" + members.sorted { $0.key < $1.key }.map { "\"\($0.key)\": \($0.value)" }.joined(separator: ", ") + "}"
        }
    }

    /// The paths where two values differ, for readable failures.
    func differences(from other: JSONValue, at path: String = "$") -> [String] {
        switch (self, other) {
        case (.object(let left), .object(let right)):
            return Set(left.keys).union(right.keys).sorted().flatMap { key -> [String] in
                switch (left[key], right[key]) {
                case (let l?, let r?): l.differences(from: r, at: "\(path).\(key)")
                case (nil, _): ["\(path).\(key): absent here, \(right[key]!) there"]
                case (_, nil): ["\(path).\(key): \(left[key]!) here, absent there"]
                }
            }
        case (.array(let left), .array(let right)) where left.count == right.count:
            return zip(left, right).enumerated().flatMap { $1.0.differences(from: $1.1, at: "\(path)[\($0)]") }
        default:
            return self == other ? [] : ["\(path): \(self) here, \(other) there"]
        }
    }
}
