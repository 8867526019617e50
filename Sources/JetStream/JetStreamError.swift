import NATSClient

/// An error from the JetStream API or from this client's handling of it.
///
/// Switch on ``kind``; for errors the server reported, ``code`` is the HTTP-like status and
/// ``errCode`` the stable JetStream identifier (`10071` wrong last sequence, `10059` stream not
/// found, ...). ``description`` reads well in a log.
public struct JetStreamError: Error, Sendable, Hashable, CustomStringConvertible {
    /// What kind of failure this is.
    public struct Kind: Hashable, Sendable, CustomStringConvertible {
        public let rawValue: String
        public init(_ rawValue: String) { self.rawValue = rawValue }
        public var description: String { rawValue }

        /// The server answered with an `error` object (see ``JetStreamError/code`` and ``JetStreamError/errCode``).
        public static let api = Kind("API error")
        /// Nobody answered the request (JetStream not enabled, no stream for the subject, no leader).
        public static let noResponders = Kind("no responders")
        /// No reply within the time allowed.
        public static let timeout = Kind("timeout")
        /// The reply could not be understood (malformed JSON, missing fields, bad ack subject).
        public static let invalidReply = Kind("invalid reply")
        /// An argument was rejected before anything was sent.
        public static let invalidArgument = Kind("invalid argument")
        /// The connection failed for now (disconnected, not connected, buffer full); it may recover.
        public static let connection = Kind("connection error")
        /// The connection is closed for good.
        public static let connectionClosed = Kind("connection closed")
        /// The ordered consumer was stopped or its connection closed.
        public static let consumerClosed = Kind("consumer closed")
    }

    /// The kind of failure.
    public var kind: Kind
    /// The HTTP-like status code the server gave (`404`, `503`, ...), if any.
    public var code: Int?
    /// The JetStream `err_code` (`10071`, `10059`, ...), if the server gave one.
    public var errCode: Int?
    /// What happened, including the server's own text when there is one.
    public var message: String

    /// Creates an error.
    public init(_ kind: Kind, code: Int? = nil, errCode: Int? = nil, _ message: String) {
        self.kind = kind
        self.code = code
        self.errCode = errCode
        self.message = message
    }

    public var description: String {
        var text = "JetStream \(kind.rawValue)"
        if let errCode { text += " \(errCode)" }
        if let code { text += " (\(code))" }
        return message.isEmpty ? text : "\(text): \(message)"
    }

    /// `10071` / `10164`: an expected last sequence (stream or subject) did not match.
    public var isWrongLastSequence: Bool { errCode == 10071 || errCode == 10164 }

    /// The actual last sequence from a `wrong last sequence: <n>` description, when present.
    public var actualLastSequence: UInt64? {
        guard isWrongLastSequence, let colon = message.lastIndex(of: ":") else { return nil }
        let digits = message[message.index(after: colon)...].drop { $0 == " " }.prefix { $0.isNumber }
        return UInt64(digits)
    }

    /// Whether retrying may succeed: no responders, timeouts, and 503-class server errors
    /// (`10008` temporarily unavailable, `10163`, `10023` insufficient resources) that occur while a
    /// stream or meta leader is being elected.
    public var isTransient: Bool {
        switch kind {
        case .noResponders, .timeout: return true
        case .connection: return true
        case .api: return code == 503 || [10008, 10023, 10163].contains(errCode ?? 0)
        default: return false
        }
    }

    /// Maps a client error to a JetStream error of the matching kind.
    static func from(_ error: any Error, subject: String) -> JetStreamError {
        if let error = error as? JetStreamError { return error }
        guard let error = error as? NATSError else {
            return JetStreamError(.connection, "\(subject): \(error)")
        }
        switch error.code {
        case .noResponders: return JetStreamError(.noResponders, code: 503, "\(subject): \(error.message)")
        case .timeout: return JetStreamError(.timeout, "\(subject): \(error.message)")
        case .connectionClosed, .draining: return JetStreamError(.connectionClosed, "\(subject): \(error)")
        case .invalidSubject, .maxPayloadExceeded:
            return JetStreamError(.invalidArgument, "\(subject): \(error)")
        default: return JetStreamError(.connection, "\(subject): \(error)")
        }
    }
}
