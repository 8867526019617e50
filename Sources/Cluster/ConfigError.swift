import Foundation

/// A configuration that cannot be used: unreadable, not JSON, an unknown key, a wrong type, a missing key or a
/// value that breaks a rule. Every error names the offending key by its dotted JSON path.
///
/// The agent exits with ``ConfigError/exitCode`` (78, `EX_CONFIG` from `sysexits.h`) on any of these.
public struct ConfigError: Error, Sendable, Equatable, CustomStringConvertible {
    /// What kind of problem was found.
    public enum Code: Sendable, Equatable {
        /// The file could not be read (`open(2)`/`read(2)` failed).
        case unreadable
        /// The text is not valid JSON.
        case malformedJSON
        /// An object holds the same key twice.
        case duplicateKey
        /// An object holds a key the configuration does not know.
        case unknownKey
        /// A key holds a value of the wrong JSON type.
        case wrongType
        /// A required key is absent.
        case missingKey
        /// A value has the right type but breaks a rule (range, format, relation to another value).
        case invalidValue
    }

    /// The process exit status for configuration errors: `EX_CONFIG` from `sysexits.h`.
    public static let exitCode: Int32 = 78

    /// What kind of problem was found.
    public var code: Code
    /// The dotted JSON path of the offending key (`election.leaseTtlMs`, `nats.servers[1]`); empty for the
    /// document itself.
    public var path: String
    /// What is wrong and what was expected.
    public var message: String
    /// For an unknown key that is a near miss of a known one: the known key.
    public var suggestion: String?

    /// Creates an error.
    /// - Parameters:
    ///   - code: What kind of problem was found.
    ///   - path: The dotted JSON path of the offending key.
    ///   - message: What is wrong and what was expected.
    ///   - suggestion: The known key an unknown key is a near miss of.
    public init(_ code: Code, path: String, _ message: String, suggestion: String? = nil) {
        self.code = code
        self.path = path
        self.message = message
        self.suggestion = suggestion
    }

    /// The exit status for this error: always ``exitCode``.
    public var exitStatus: Int32 { Self.exitCode }

    /// `path: message`, e.g. `election.leaseTTLMs: unknown key, did you mean leaseTtlMs?`.
    public var description: String { path.isEmpty ? message : "\(path): \(message)" }
}

extension ConfigError {
    /// Reads the file at `path` and parses it with `parse`; an unreadable file, and errors about the document
    /// as a whole (not JSON, not an object), name the file.
    /// - Throws: ``ConfigError``.
    public static func loading<T>(_ path: String, _ parse: (Data) throws(ConfigError) -> T) throws(ConfigError) -> T {
        let data: Data
        do {
            data = try Data(contentsOf: URL(fileURLWithPath: path))
        } catch {
            throw ConfigError(.unreadable, path: "", "cannot read \(path): \(error.localizedDescription)")
        }
        do {
            return try parse(data)
        } catch {
            var error = error
            if error.path.isEmpty { error.message = "\(path): \(error.message)" }
            throw error
        }
    }
}

