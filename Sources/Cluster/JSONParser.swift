import Foundation

/// A strict RFC 8259 parser for configuration files: reports syntax errors by line and column, and rejects
/// duplicate keys by their dotted path (Foundation's decoders keep one of them silently).
struct JSONParser {
    private let bytes: [UInt8]
    private var index = 0
    private var path: [String] = []
    private static let maximumDepth = 64

    init(_ data: Data) {
        var bytes = [UInt8](data)
        if bytes.starts(with: [0xEF, 0xBB, 0xBF]) { bytes.removeFirst(3) }
        self.bytes = bytes
    }

    /// Parses the whole input as one JSON value.
    mutating func parseDocument() throws(ConfigError) -> JSONValue {
        let value = try parseValue()
        skipWhitespace()
        guard index == bytes.count else { throw syntaxError("unexpected text after the JSON value") }
        return value
    }

    private mutating func parseValue() throws(ConfigError) -> JSONValue {
        skipWhitespace()
        guard let byte = peek() else { throw syntaxError("unexpected end of input, expected a value") }
        switch byte {
        case UInt8(ascii: "{"): return try parseObject()
        case UInt8(ascii: "["): return try parseArray()
        case UInt8(ascii: "\""): return .string(try parseString())
        case UInt8(ascii: "t"): return try parseLiteral("true", .bool(true))
        case UInt8(ascii: "f"): return try parseLiteral("false", .bool(false))
        case UInt8(ascii: "n"): return try parseLiteral("null", .null)
        case UInt8(ascii: "-"), UInt8(ascii: "0")...UInt8(ascii: "9"): return try parseNumber()
        default: throw syntaxError("unexpected character '\(Self.printable(byte))', expected a value")
        }
    }

    private mutating func parseObject() throws(ConfigError) -> JSONValue {
        try enter()
        index += 1
        var members: [String: JSONValue] = [:]
        skipWhitespace()
        if peek() == UInt8(ascii: "}") {
            index += 1
            path.removeLast()
            return .object(members)
        }
        while true {
            skipWhitespace()
            guard peek() == UInt8(ascii: "\"") else { throw syntaxError("expected a key in double quotes") }
            let key = try parseString()
            let keyPath = Self.join(path, key)
            guard members[key] == nil else { throw ConfigError(.duplicateKey, path: keyPath, "duplicate key") }
            try expect(":")
            path.append(key)
            members[key] = try parseValue()
            path.removeLast()
            if try endOfContainer("}") { break }
        }
        path.removeLast()
        return .object(members)
    }

    private mutating func parseArray() throws(ConfigError) -> JSONValue {
        try enter()
        index += 1
        var elements: [JSONValue] = []
        skipWhitespace()
        if peek() == UInt8(ascii: "]") {
            index += 1
            path.removeLast()
            return .array(elements)
        }
        while true {
            path.append("[\(elements.count)]")
            elements.append(try parseValue())
            path.removeLast()
            if try endOfContainer("]") { break }
        }
        path.removeLast()
        return .array(elements)
    }

    /// Pushes a placeholder path level and enforces the nesting limit.
    private mutating func enter() throws(ConfigError) {
        guard path.count < Self.maximumDepth else {
            throw syntaxError("nested deeper than \(Self.maximumDepth) levels")
        }
        path.append("")
    }

    /// After a member or element: `true` at the closing bracket, `false` after a comma.
    private mutating func endOfContainer(_ close: Unicode.Scalar) throws(ConfigError) -> Bool {
        skipWhitespace()
        switch peek() {
        case UInt8(ascii: ","):
            index += 1
            return false
        case UInt8(ascii: close):
            index += 1
            return true
        default:
            throw syntaxError("expected ',' or '\(close)'")
        }
    }

    private mutating func parseString() throws(ConfigError) -> String {
        index += 1
        var utf8: [UInt8] = []
        while let byte = peek() {
            index += 1
            switch byte {
            case UInt8(ascii: "\""):
                guard let text = String(bytes: utf8, encoding: .utf8) else {
                    throw syntaxError("string is not valid UTF-8")
                }
                return text
            case UInt8(ascii: "\\"):
                try parseEscape(into: &utf8)
            case 0..<0x20:
                throw syntaxError("control character in a string (escape it)")
            default:
                utf8.append(byte)
            }
        }
        throw syntaxError("unterminated string")
    }

    private mutating func parseEscape(into utf8: inout [UInt8]) throws(ConfigError) {
        guard let byte = peek() else { throw syntaxError("unterminated string") }
        index += 1
        let simple: [UInt8: UInt8] = [
            UInt8(ascii: "\""): 0x22, UInt8(ascii: "\\"): 0x5C, UInt8(ascii: "/"): 0x2F, UInt8(ascii: "b"): 0x08,
            UInt8(ascii: "f"): 0x0C, UInt8(ascii: "n"): 0x0A, UInt8(ascii: "r"): 0x0D, UInt8(ascii: "t"): 0x09,
        ]
        if let replacement = simple[byte] {
            utf8.append(replacement)
            return
        }
        guard byte == UInt8(ascii: "u") else { throw syntaxError("invalid escape '\\\(Self.printable(byte))'") }
        var scalar = try parseHex4()
        if (0xD800..<0xDC00).contains(scalar) {
            guard peek() == UInt8(ascii: "\\"), peek(1) == UInt8(ascii: "u") else {
                throw syntaxError("unpaired surrogate in \\u escape")
            }
            index += 2
            let low = try parseHex4()
            guard (0xDC00..<0xE000).contains(low) else { throw syntaxError("unpaired surrogate in \\u escape") }
            scalar = 0x10000 + ((scalar - 0xD800) << 10) + (low - 0xDC00)
        }
        guard let unicode = Unicode.Scalar(scalar) else { throw syntaxError("invalid \\u escape") }
        utf8.append(contentsOf: String(Character(unicode)).utf8)
    }

    private mutating func parseHex4() throws(ConfigError) -> UInt32 {
        guard index + 4 <= bytes.count,
            let value = UInt32(String(decoding: bytes[index..<index + 4], as: UTF8.self), radix: 16)
        else { throw syntaxError("expected 4 hexadecimal digits after \\u") }
        index += 4
        return value
    }

    private mutating func parseNumber() throws(ConfigError) -> JSONValue {
        let start = index
        if peek() == UInt8(ascii: "-") { index += 1 }
        if peek() == UInt8(ascii: "0") {
            index += 1
        } else {
            guard skipDigits() > 0 else { throw syntaxError("expected a digit") }
        }
        var isInteger = true
        if peek() == UInt8(ascii: ".") {
            index += 1
            isInteger = false
            guard skipDigits() > 0 else { throw syntaxError("expected a digit after '.'") }
        }
        if peek() == UInt8(ascii: "e") || peek() == UInt8(ascii: "E") {
            index += 1
            isInteger = false
            if peek() == UInt8(ascii: "+") || peek() == UInt8(ascii: "-") { index += 1 }
            guard skipDigits() > 0 else { throw syntaxError("expected a digit in the exponent") }
        }
        let text = String(decoding: bytes[start..<index], as: UTF8.self)
        if isInteger, let integer = Int64(text) { return .integer(integer) }
        guard let number = Double(text), number.isFinite else { throw syntaxError("number \(text) is out of range") }
        return .number(number)
    }

    private mutating func skipDigits() -> Int {
        let start = index
        while let byte = peek(), (UInt8(ascii: "0")...UInt8(ascii: "9")).contains(byte) { index += 1 }
        return index - start
    }

    private mutating func parseLiteral(_ word: String, _ value: JSONValue) throws(ConfigError) -> JSONValue {
        let utf8 = Array(word.utf8)
        guard bytes.count - index >= utf8.count, Array(bytes[index..<index + utf8.count]) == utf8 else {
            throw syntaxError("unexpected character '\(Self.printable(bytes[index]))', expected a value")
        }
        index += utf8.count
        return value
    }

    private mutating func expect(_ character: Unicode.Scalar) throws(ConfigError) {
        skipWhitespace()
        guard peek() == UInt8(ascii: character) else { throw syntaxError("expected '\(character)'") }
        index += 1
    }

    private mutating func skipWhitespace() {
        while let byte = peek(), byte == 0x20 || byte == 0x09 || byte == 0x0A || byte == 0x0D { index += 1 }
    }

    private func peek(_ offset: Int = 0) -> UInt8? {
        index + offset < bytes.count ? bytes[index + offset] : nil
    }

    /// A syntax error at the current position, as `line L, column C: message` (both from 1, columns in bytes).
    private func syntaxError(_ message: String) -> ConfigError {
        let consumed = bytes[..<min(index, bytes.count)]
        let line = consumed.reduce(1) { $1 == 0x0A ? $0 + 1 : $0 }
        let lineStart = consumed.lastIndex(of: 0x0A).map { $0 + 1 } ?? 0
        let column = min(index, bytes.count) - lineStart + 1
        return ConfigError(.malformedJSON, path: "", "not valid JSON: line \(line), column \(column): \(message)")
    }

    private static func printable(_ byte: UInt8) -> String {
        byte >= 0x20 && byte < 0x7F ? String(UnicodeScalar(byte)) : String(format: "\\x%02X", byte)
    }

    /// `a.b`, `a[1]`, `a[1].b` from path levels (array levels are `[n]`, the placeholder is empty).
    private static func join(_ levels: [String], _ key: String) -> String {
        var result = ""
        for level in levels + [key] where !level.isEmpty {
            result += level.hasPrefix("[") || result.isEmpty ? level : ".\(level)"
        }
        return result
    }
}
