import Foundation

/// A parsed JSON value that keeps integers apart from other numbers and booleans apart from numbers, so that
/// ``ConfigReader`` can report wrong types exactly.
public enum JSONValue: Sendable, Equatable {
    case null
    case bool(Bool)
    /// A number without fraction or exponent that fits in `Int64`.
    case integer(Int64)
    /// Any other number.
    case number(Double)
    case string(String)
    case array([JSONValue])
    case object([String: JSONValue])

    /// Parses a JSON document strictly (RFC 8259): syntax errors carry line and column, duplicate keys are errors.
    /// - Parameter data: UTF-8 JSON text, optionally with a byte order mark.
    /// - Throws: ``ConfigError`` with code `.malformedJSON`, or `.duplicateKey` naming the key's path.
    public init(parsing data: Data) throws(ConfigError) {
        var parser = JSONParser(data)
        self = try parser.parseDocument()
    }

    /// The JSON type's name as used in error messages: `a string`, `an integer`, `an object` ...
    public var typeDescription: String {
        switch self {
        case .null: "null"
        case .bool: "a boolean"
        case .integer: "an integer"
        case .number: "a number"
        case .string: "a string"
        case .array: "an array"
        case .object: "an object"
        }
    }
}
