// The parameters of route paths, named once and parsed into their types.

import Hummingbird
import RegistrySchema

/// A parameter of a route's path (`:iin` in `/v1/persons/:iin/registration`).
///
/// The route's access policy (``AccessPolicy/Rule/selfOnly(_:parameter:)``), its disclosure
/// (``Disclosure``) and its handler name the parameter with this value, so they cannot disagree
/// on its name, and every route answers a missing or invalid value the same way.
public struct PathParameter<Value>: Sendable {
    /// The name in the path template, without the colon.
    public let name: String
    private let parse: @Sendable (String) -> Value?
    private let invalid: Problem

    /// Declares a parameter.
    /// - Parameters:
    ///   - name: The name in the path template, without the colon.
    ///   - invalid: What the route answers when the path holds no valid value.
    ///   - parse: The value of a text, or nil when the text is not valid.
    public init(_ name: String, invalid: Problem, parse: @escaping @Sendable (String) -> Value?) {
        self.name = name
        self.invalid = invalid
        self.parse = parse
    }

    /// The value in the request's path.
    /// - Throws: The parameter's ``Problem`` when the path holds no valid value.
    public func value(in context: RegistryRequestContext) throws -> Value {
        guard let value = validValue(in: context) else { throw invalid }
        return value
    }

    /// The value in the request's path, or nil when it holds no valid one (for access checks,
    /// which then refuse).
    public func validValue(in context: RegistryRequestContext) -> Value? {
        context.parameters.get(name).flatMap(parse)
    }
}

extension PathParameter where Value == IIN {
    /// A person's IIN (`:iin`).
    public static var iin: PathParameter<IIN> {
        PathParameter("iin", invalid: .badRequest("The path does not hold a valid IIN (12 digits with a correct check digit).")) { IIN(rawValue: $0) }
    }
}

extension PathParameter where Value == RCA {
    /// A dwelling's RCA (`:rca`).
    public static var rca: PathParameter<RCA> {
        PathParameter("rca", invalid: .badRequest("The path does not hold an RCA (1 to 32 digits).")) { RCA(rawValue: $0) }
    }
}
