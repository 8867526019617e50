import Foundation

/// A strict reader for one JSON object of a configuration file, reporting every problem by its dotted path.
///
/// Every key asked for (whether present or not) becomes a known key of the object. After all readers have asked
/// for their keys, ``finish()`` on the root rejects any key nobody asked for, with a did-you-mean suggestion for
/// near misses (`election.leaseTTLMs: unknown key, did you mean leaseTtlMs?`). Readers for nested objects are
/// cached, so a later layer (the agent's own options) can open the same `nats` or `election` object and add its
/// keys before ``finish()`` runs.
///
/// A reader is a reference type for that sharing; use it on one task and throw it away after ``finish()``.
public final class ConfigReader {
    /// The dotted path of this object; empty for the document root.
    public let path: String
    private let members: [String: JSONValue]
    private var known: [String] = []
    private var children: [String: ConfigReader] = [:]

    /// Parses a document whose root must be a JSON object.
    /// - Parameter data: UTF-8 JSON text.
    /// - Throws: ``ConfigError`` (`.malformedJSON`, or `.wrongType` when the root is not an object).
    public convenience init(json data: Data) throws(ConfigError) {
        let value = try JSONValue(parsing: data)
        guard case .object(let members) = value else {
            throw ConfigError(
                .wrongType,
                path: "",
                "the configuration must be a JSON object, found \(value.typeDescription)"
            )
        }
        self.init(path: "", members: members)
    }

    /// Creates a reader for an already parsed object.
    /// - Parameters:
    ///   - path: The object's dotted path; empty for the root.
    ///   - members: The object's members.
    public init(path: String, members: [String: JSONValue]) {
        self.path = path
        self.members = members
    }

    /// The dotted path of `key` inside this object.
    public func path(of key: String) -> String { path.isEmpty ? key : "\(path).\(key)" }

    /// Whether the object holds `key` (with any value, `null` included). Marks the key as known.
    public func contains(_ key: String) -> Bool {
        markKnown(key)
        return members[key] != nil
    }

    /// The raw value of `key`; `nil` when absent or `null`. Marks the key as known.
    public func value(_ key: String) -> JSONValue? {
        markKnown(key)
        guard let value = members[key], value != .null else { return nil }
        return value
    }

    /// A string member.
    /// - Returns: `nil` when the key is absent or `null`.
    /// - Throws: ``ConfigError`` `.wrongType` naming the path when the value is not a string.
    public func string(_ key: String) throws(ConfigError) -> String? {
        guard let value = value(key) else { return nil }
        guard case .string(let text) = value else { throw wrongType(key, expected: "a string", found: value) }
        return text
    }

    /// An integer member within `range`.
    /// - Returns: `nil` when the key is absent or `null`.
    /// - Throws: ``ConfigError`` `.wrongType` for a non-integer, `.invalidValue` for one outside `range`.
    public func integer(
        _ key: String,
        in range: ClosedRange<Int64> = Int64.min...Int64.max
    ) throws(ConfigError) -> Int64? {
        guard let value = value(key) else { return nil }
        guard case .integer(let number) = value else { throw wrongType(key, expected: "an integer", found: value) }
        guard range.contains(number) else {
            throw ConfigError(
                .invalidValue,
                path: path(of: key),
                "must be between \(range.lowerBound) and \(range.upperBound), found \(number)"
            )
        }
        return number
    }

    /// A boolean member.
    /// - Returns: `nil` when the key is absent or `null`.
    /// - Throws: ``ConfigError`` `.wrongType` naming the path when the value is not `true` or `false`.
    public func bool(_ key: String) throws(ConfigError) -> Bool? {
        guard let value = value(key) else { return nil }
        guard case .bool(let flag) = value else { throw wrongType(key, expected: "a boolean", found: value) }
        return flag
    }

    /// An array of strings.
    /// - Returns: `nil` when the key is absent or `null`.
    /// - Throws: ``ConfigError`` `.wrongType` naming the array, or the element (`nats.servers[1]`).
    public func strings(_ key: String) throws(ConfigError) -> [String]? {
        guard let value = value(key) else { return nil }
        guard case .array(let elements) = value else {
            throw wrongType(key, expected: "an array of strings", found: value)
        }
        var result: [String] = []
        for (index, element) in elements.enumerated() {
            guard case .string(let text) = element else {
                throw ConfigError(
                    .wrongType,
                    path: "\(path(of: key))[\(index)]",
                    "expected a string, found \(element.typeDescription)"
                )
            }
            result.append(text)
        }
        return result
    }

    /// The reader of a nested object; the same reader on every call for the same key.
    /// - Returns: `nil` when the key is absent or `null`.
    /// - Throws: ``ConfigError`` `.wrongType` naming the path when the value is not an object.
    public func object(_ key: String) throws(ConfigError) -> ConfigReader? {
        if let child = children[key] { return child }
        guard let value = value(key) else { return nil }
        guard case .object(let members) = value else { throw wrongType(key, expected: "an object", found: value) }
        let child = ConfigReader(path: path(of: key), members: members)
        children[key] = child
        return child
    }

    /// An array of objects, one reader per element (`healthChecks[0]`), each checked by ``finish()``.
    /// - Returns: `nil` when the key is absent or `null`.
    /// - Throws: ``ConfigError`` `.wrongType` naming the array, or the element that is not an object.
    public func objects(_ key: String) throws(ConfigError) -> [ConfigReader]? {
        guard let value = value(key) else { return nil }
        guard case .array(let elements) = value else {
            throw wrongType(key, expected: "an array of objects", found: value)
        }
        var readers: [ConfigReader] = []
        for (index, element) in elements.enumerated() {
            let elementPath = "\(path(of: key))[\(index)]"
            guard case .object(let members) = element else {
                throw ConfigError(.wrongType, path: elementPath, "expected an object, found \(element.typeDescription)")
            }
            let reader = children["\(key)[\(index)]"] ?? ConfigReader(path: elementPath, members: members)
            children["\(key)[\(index)]"] = reader
            readers.append(reader)
        }
        return readers
    }

    /// Throws for a required key that is absent.
    /// - Throws: ``ConfigError`` `.missingKey` naming the path.
    public func required<T>(_ key: String, _ value: T?) throws(ConfigError) -> T {
        guard let value else { throw ConfigError(.missingKey, path: path(of: key), "required key is missing") }
        return value
    }

    /// Rejects every key of this object and of every nested object opened through ``object(_:)`` that no reader
    /// asked for. Keys are checked in sorted order, so the error is the same on every run.
    /// - Throws: ``ConfigError`` `.unknownKey` naming the path, with a suggestion for a near miss.
    public func finish() throws(ConfigError) {
        for key in members.keys.sorted() where !known.contains(key) {
            let suggestion = Self.nearMiss(of: key, among: known)
            let hint = suggestion.map { ", did you mean \($0)?" } ?? ""
            throw ConfigError(.unknownKey, path: path(of: key), "unknown key\(hint)", suggestion: suggestion)
        }
        for key in children.keys.sorted() { try children[key]!.finish() }
    }

    /// The known key `key` most likely stands for: equal ignoring case, or within a small edit distance
    /// (1 for keys up to 4 characters, 2 up to 8, 3 beyond).
    static func nearMiss(of key: String, among known: [String]) -> String? {
        if let same = known.first(where: { $0.lowercased() == key.lowercased() }) { return same }
        let limit = key.count <= 4 ? 1 : (key.count <= 8 ? 2 : 3)
        let scored = known.map { ($0, editDistance(key.lowercased(), $0.lowercased())) }
        guard let best = scored.min(by: { $0.1 < $1.1 }), best.1 <= limit else { return nil }
        return best.0
    }

    /// Levenshtein distance over characters.
    static func editDistance(_ a: String, _ b: String) -> Int {
        let a = Array(a)
        let b = Array(b)
        if a.isEmpty || b.isEmpty { return max(a.count, b.count) }
        var previous = Array(0...b.count)
        for i in 1...a.count {
            var current = [i] + Array(repeating: 0, count: b.count)
            for j in 1...b.count {
                let substitution = previous[j - 1] + (a[i - 1] == b[j - 1] ? 0 : 1)
                current[j] = min(previous[j] + 1, current[j - 1] + 1, substitution)
            }
            previous = current
        }
        return previous[b.count]
    }

    private func markKnown(_ key: String) {
        if !known.contains(key) { known.append(key) }
    }

    private func wrongType(_ key: String, expected: String, found: JSONValue) -> ConfigError {
        ConfigError(.wrongType, path: path(of: key), "expected \(expected), found \(found.typeDescription)")
    }
}
