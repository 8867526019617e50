import NATSProtocol

/// An error from the NATS client. Switch on ``code``; ``message`` says what and where.
public struct NATSError: Error, Sendable, Hashable, CustomStringConvertible {
    /// A stable identifier of the kind of failure.
    public struct Code: Hashable, Sendable, CustomStringConvertible {
        public let rawValue: String
        public init(_ rawValue: String) { self.rawValue = rawValue }
        public var description: String { rawValue }

        /// A request found no subscriber (server status 503).
        public static let noResponders = Code("no responders")
        /// A request, flush or connect did not finish in time.
        public static let timeout = Code("timeout")
        /// The connection was closed (by ``NATSConnection/close()`` or after giving up reconnecting).
        public static let connectionClosed = Code("connection closed")
        /// The connection is being drained and accepts no new work.
        public static let draining = Code("draining")
        /// The operation needs a live server connection and there is none right now.
        public static let notConnected = Code("not connected")
        /// The connection to the server was lost.
        public static let disconnected = Code("disconnected")
        /// The message is larger than the server's `max_payload`.
        public static let maxPayloadExceeded = Code("maximum payload exceeded")
        /// The subject or queue group is not valid for this operation.
        public static let invalidSubject = Code("invalid subject")
        /// A server URL could not be parsed.
        public static let invalidURL = Code("invalid URL")
        /// The server rejected our credentials.
        public static let authorizationViolation = Code("authorization violation")
        /// The server sent `-ERR`.
        public static let serverError = Code("server error")
        /// The server spoke something other than the NATS protocol.
        public static let protocolError = Code("protocol error")
        /// The server stopped answering PINGs.
        public static let staleConnection = Code("stale connection")
        /// TLS could not be set up (files, handshake, verification).
        public static let tls = Code("TLS error")
        /// Credentials (NKEY seed, creds file) could not be read or used.
        public static let credentials = Code("credentials error")
        /// The reconnect buffer is full; the publish was not queued.
        public static let bufferFull = Code("reconnect buffer full")
        /// No server in the pool could be reached.
        public static let noServers = Code("no servers available")
        /// Socket-level failure.
        public static let io = Code("I/O error")
    }

    public var code: Code
    public var message: String

    public init(_ code: Code, _ message: String) {
        self.code = code
        self.message = message
    }

    public var description: String { message.isEmpty ? code.rawValue : "\(code.rawValue): \(message)" }

    /// Classifies a server `-ERR` text (ADR-40: match substrings, case-insensitively).
    static func fromServer(_ text: String) -> NATSError {
        let lower = text.lowercased()
        if lower.contains("authorization violation") || lower.contains("authentication") {
            return NATSError(.authorizationViolation, text)
        }
        if lower.contains("stale connection") { return NATSError(.staleConnection, text) }
        if lower.contains("maximum payload") { return NATSError(.maxPayloadExceeded, text) }
        if lower.contains("tls required") { return NATSError(.tls, text) }
        return NATSError(.serverError, text)
    }

    /// Whether the server closes the connection after sending this `-ERR` (ADR-40).
    static func isFatalServerError(_ text: String) -> Bool {
        let lower = text.lowercased()
        return !(lower.contains("permissions violation") || lower.contains("invalid publish subject")
            || lower.contains("maximum subscriptions exceeded"))
    }
}
