/// An error from the test-support helpers: a server that would not start, a tool that failed, a timeout.
public struct TestSupportError: Error, Sendable, CustomStringConvertible {
    /// The kind of failure. New codes may be added.
    public struct Code: Sendable, Hashable, CustomStringConvertible {
        private let name: String
        private init(_ name: String) { self.name = name }

        /// The `nats-server` (or `openssl`) executable was not found.
        public static let executableNotFound = Code("executableNotFound")
        /// The server process exited during start-up (see ``TestSupportError/detail`` for the log tail).
        public static let serverExited = Code("serverExited")
        /// A listening port was already taken (only possible for pre-allocated route ports).
        public static let portInUse = Code("portInUse")
        /// Something did not happen before its deadline.
        public static let timeout = Code("timeout")
        /// An external command (`openssl`) failed.
        public static let commandFailed = Code("commandFailed")
        /// A file could not be written or read.
        public static let fileSystem = Code("fileSystem")

        /// The code's name.
        public var description: String { name }
    }

    /// What went wrong.
    public var code: Code
    /// What was being done, and the relevant output (e.g. the last lines of the server log).
    public var detail: String

    /// Creates an error.
    /// - Parameters:
    ///   - code: The kind of failure.
    ///   - detail: Context for the test log.
    public init(_ code: Code, _ detail: String) {
        self.code = code
        self.detail = detail
    }

    /// `"NATSTestSupport: <code>: <detail>"`.
    public var description: String { "NATSTestSupport: \(code): \(detail)" }
}
