/// An error from the micro-services framework. Switch on ``code``; ``message`` says what was wrong.
public struct MicroError: Error, Sendable, Hashable, CustomStringConvertible {
    /// A stable identifier of the kind of failure.
    public struct Code: Hashable, Sendable, CustomStringConvertible {
        public let rawValue: String
        public init(_ rawValue: String) { self.rawValue = rawValue }
        public var description: String { rawValue }

        /// The service configuration is invalid (name, version, queue group).
        public static let invalidConfig = Code("invalid service config")
        /// An endpoint's name, subject or queue group is invalid, or the name is taken.
        public static let invalidEndpoint = Code("invalid endpoint")
        /// The service was stopped and accepts no new endpoints.
        public static let stopped = Code("service stopped")
        /// The request has no reply subject, so it cannot be answered.
        public static let noReplySubject = Code("no reply subject")
    }

    public var code: Code
    public var message: String

    public init(_ code: Code, _ message: String) {
        self.code = code
        self.message = message
    }

    public var description: String { message.isEmpty ? code.rawValue : "\(code.rawValue): \(message)" }
}
