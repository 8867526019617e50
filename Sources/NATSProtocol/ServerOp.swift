import NIOCore

/// One operation received from a NATS server.
public enum ServerOp: Sendable, Equatable {
    /// `INFO {json}`; sent first, and again whenever the cluster changes.
    case info(ServerInfo)
    /// `MSG` or `HMSG`.
    case message(InboundMessage)
    case ping
    case pong
    /// `+OK` (only in verbose mode).
    case ok
    /// `-ERR '<text>'`, quotes removed.
    case error(String)
}

/// A message delivered to one of our subscriptions (`MSG` / `HMSG`).
public struct InboundMessage: Sendable, Equatable {
    public var subject: String
    public var sid: UInt64
    public var replyTo: String?
    /// The parsed header block of an `HMSG`; `nil` for `MSG`.
    public var headers: NATSHeaders?
    public var payload: ByteBuffer

    public init(subject: String, sid: UInt64, replyTo: String?, headers: NATSHeaders?, payload: ByteBuffer) {
        self.subject = subject
        self.sid = sid
        self.replyTo = replyTo
        self.headers = headers
        self.payload = payload
    }
}
