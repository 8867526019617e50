import Foundation
import Testing

@testable import Cluster

@Suite("The strict JSON parser")
struct JSONParserTests {
    private func parse(_ text: String) throws(ConfigError) -> JSONValue { try JSONValue(parsing: Data(text.utf8)) }

    private func parseError(_ text: String) -> ConfigError? {
        do {
            _ = try parse(text)
            return nil
        } catch {
            return error
        }
    }

    @Test("every JSON type, with integers kept apart from other numbers")
    func types() throws {
        let value = try parse(#" {"a": [1, -2, 2.5, 1e3, true, false, null, "x"], "b": {}, "c": [] } "#)
        #expect(
            value
                == .object([
                    "a": .array([
                        .integer(1), .integer(-2), .number(2.5), .number(1000), .bool(true), .bool(false), .null,
                        .string("x"),
                    ]),
                    "b": .object([:]),
                    "c": .array([]),
                ])
        )
        #expect(try parse("9223372036854775807") == .integer(Int64.max))
        #expect(try parse("9223372036854775808") == .number(9_223_372_036_854_775_808))
    }

    @Test("string escapes, surrogate pairs and UTF-8")
    func strings() throws {
        #expect(try parse(#""a\"b\\c\/d\n\t\u00e9\ud83d\ude00é""#) == .string("a\"b\\c/d\n\té😀é"))
        #expect(try parse("\u{FEFF}\"bom\"") == .string("bom"))
    }

    @Test("syntax errors carry line and column")
    func syntaxErrors() throws {
        let error = try #require(parseError("{\n  \"a\": 1,,\n}"))
        #expect(error.code == .malformedJSON)
        #expect(error.message == "not valid JSON: line 2, column 10: expected a key in double quotes")
        for bad in [
            "", "{", "[1,]", "{\"a\" 1}", "01", "1.", "-", "tru", "\"a", "\"\\x\"", "\"\u{1}\"", "1 2", "\"\\ud800\"",
        ] {
            #expect(parseError(bad)?.code == .malformedJSON, "\(bad)")
        }
        let deep = String(repeating: "[", count: 100) + String(repeating: "]", count: 100)
        #expect(parseError(deep)?.message.contains("nested deeper") == true)
    }

    @Test("duplicate keys are errors naming their path")
    func duplicateKeys() throws {
        #expect(parseError(#"{"a": 1, "a": 2}"#)?.path == "a")
        let nested = try #require(parseError(#"{"nats": {"servers": [], "servers": []}}"#))
        #expect(nested.code == .duplicateKey)
        #expect(nested.description == "nats.servers: duplicate key")
        #expect(parseError(#"{"vips": [{"a": 1}, {"b": 1, "b": 2}]}"#)?.path == "vips[1].b")
    }

    @Test("a duplicated section of a configuration is rejected")
    func duplicateSection() throws {
        let error = try #require(loadError(minimal(#""nats": {"servers": ["nats://a:1"]}"#)))
        #expect(error.code == .duplicateKey)
        #expect(error.path == "nats")
    }
}
