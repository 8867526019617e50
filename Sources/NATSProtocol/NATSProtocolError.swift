/// A violation of the NATS wire protocol found while decoding bytes from a server.
///
/// The parser never crashes and never waits forever on bad input: anything it cannot make sense of
/// becomes one of these, and the connection that produced it is closed.
public struct NATSProtocolError: Error, Hashable, Sendable, CustomStringConvertible {
    /// What went wrong, in a form that reads well in a log line.
    public var message: String

    /// Creates an error with a message naming the offending field or value.
    public init(_ message: String) {
        self.message = message
    }

    public var description: String { "NATS protocol error: \(message)" }
}
