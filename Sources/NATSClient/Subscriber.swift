import NATSProtocol

/// One live subscription as the connection sees it. Mutable fields are guarded by the connection lock.
final class Subscriber: @unchecked Sendable {
    enum Sink: Sendable {
        /// Messages go to an `AsyncStream` read by the application.
        case stream(AsyncStream<NATSMessage>.Continuation)
        /// Messages go to a callback run on the event loop (internal request mux, services).
        case handler(@Sendable (NATSMessage) -> Void)
    }

    let sid: UInt64
    let subject: String
    let queue: String?
    let sink: Sink
    /// Auto-unsubscribe limit, counting every message delivered on this sid.
    var max: UInt64?
    var delivered: UInt64 = 0
    var dropped: UInt64 = 0

    init(sid: UInt64, subject: String, queue: String?, sink: Sink) {
        self.sid = sid
        self.subject = subject
        self.queue = queue
        self.sink = sink
    }

    /// Hands a message over; returns false if a slow reader's buffer was full and it was dropped.
    func deliver(_ message: NATSMessage) -> Bool {
        switch sink {
        case .stream(let continuation):
            if case .dropped = continuation.yield(message) { return false }
            return true
        case .handler(let handler):
            handler(message)
            return true
        }
    }

    func finish() {
        if case .stream(let continuation) = sink { continuation.finish() }
    }
}

/// A subscription: an `AsyncSequence` of messages that ends when it is unsubscribed (or reaches its
/// auto-unsubscribe limit) or the connection closes.
public struct NATSSubscription: AsyncSequence, Sendable {
    public typealias Element = NATSMessage

    let core: ConnectionCore
    /// The subscription id on the wire.
    public let sid: UInt64
    /// The subject (possibly with wildcards) subscribed to.
    public let subject: String
    let stream: AsyncStream<NATSMessage>

    public func makeAsyncIterator() -> AsyncStream<NATSMessage>.AsyncIterator {
        stream.makeAsyncIterator()
    }

    /// Stops the subscription now; buffered messages are still delivered, then the sequence ends.
    public func unsubscribe() throws {
        try core.unsubscribe(sid: sid, after: nil)
    }

    /// Lets `count` more messages in total arrive on this subscription (`UNSUB <sid> <max>`), then ends.
    public func unsubscribe(after count: UInt64) throws {
        try core.unsubscribe(sid: sid, after: count)
    }

    /// Messages dropped because the reader did not keep up (see ``NATSOptions/subscriptionCapacity``).
    public var droppedMessages: UInt64 { core.droppedMessages(sid: sid) }
}
