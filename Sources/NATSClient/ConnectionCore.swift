import Logging
import NATSProtocol
import NIOConcurrencyHelpers
import NIOCore
import NIOPosix

/// The connection's engine: one lock-protected ``State`` shared by the public API (any thread) and
/// the channel handler (event loop). Socket work happens on the event loop; the reconnect loop is
/// one long-lived task owned here.
final class ConnectionCore: @unchecked Sendable {
    struct State {
        var channel: Channel?
        var current: ServerURL?
        var info: ServerInfo?
        var closed = false
        var draining = false
        var everConnected = false
        var subscriptions: [UInt64: Subscriber] = [:]
        var nextSID: UInt64 = 1
        /// Client operations not yet handed to the channel (while connected: the next batch; while
        /// disconnected: publishes kept for after the reconnect).
        var outbound = ByteBuffer()
        var flushScheduled = false
        var lastWrite: EventLoopFuture<Void>?
        /// One entry per PING on the wire, in order; flushes wait on theirs.
        var pongWaiters = CircularBuffer<EventLoopPromise<Void>?>()
        var pingsOutstanding = 0
        var keepalive: RepeatedTask?
        var pool: ServerPool
        var listeners: [Int: AsyncStream<NATSEvent>.Continuation] = [:]
        var nextListener = 0
        var requests: [Substring: EventLoopPromise<NATSMessage>] = [:]
        var nextRequest: UInt64 = 0
        var muxSID: UInt64?
        /// Why a channel is going down, recorded before it closes (keyed by the channel).
        var lastError: (channel: ObjectIdentifier, error: NATSError)?
        var lameDuckServer: ServerURL?
        var reconnects = 0
        var tlsContext: NIOSSLContextBox?
    }

    let options: NATSOptions
    let logger: Logger
    let group: EventLoopGroup
    let lock = NIOLock()
    /// Orders event delivery; never taken while ``lock`` is held.
    let emitLock = NIOLock()
    var state: State
    /// `<prefix>.<nuid>.`: replies to our requests arrive below it.
    let muxPrefix: String
    let losses: AsyncStream<NATSError?>
    let lossContinuation: AsyncStream<NATSError?>.Continuation
    let supervisor = NIOLockedValueBox<Task<Void, Never>?>(nil)

    init(options: NATSOptions, urls: [ServerURL], logger: Logger) {
        self.options = options
        self.logger = logger
        self.group = MultiThreadedEventLoopGroup.singleton
        var nuid = NUID()
        self.muxPrefix = "\(options.inboxPrefix).\(nuid.next())."
        self.state = State(
            pool: ServerPool(
                urls: urls, randomize: !options.retainServerOrder, maxReconnects: options.maxReconnects))
        (losses, lossContinuation) = AsyncStream.makeStream(of: NATSError?.self)
    }

    func withState<T>(_ body: (inout State) throws -> T) rethrows -> T {
        try lock.withLock { try body(&state) }
    }

    // MARK: Events

    func events() -> AsyncStream<NATSEvent> {
        let (stream, continuation) = AsyncStream.makeStream(of: NATSEvent.self)
        let id: Int? = withState { state in
            guard !state.closed else { return nil }
            state.nextListener += 1
            state.listeners[state.nextListener] = continuation
            return state.nextListener
        }
        guard let id else {
            continuation.yield(.closed)
            continuation.finish()
            return stream
        }
        continuation.onTermination = { [weak self] _ in
            _ = self?.withState { $0.listeners.removeValue(forKey: id) }
        }
        return stream
    }

    /// Delivers an event to every listener, in order.
    ///
    /// Never yield while holding the state lock: a listener's task being cancelled on another thread
    /// holds the task's status lock while its `onTermination` takes the state lock, so a yield under
    /// the state lock (which needs the task's status lock) would deadlock. A separate lock keeps the
    /// order of events across threads.
    func emit(_ event: NATSEvent) {
        emitLock.withLock {
            let listeners = withState { Array($0.listeners.values) }
            for listener in listeners { listener.yield(event) }
        }
    }

    // MARK: Writing

    /// Appends one or more operations and makes sure a flush is scheduled on the event loop.
    /// Returns the write to wait on when the socket is backed up.
    @discardableResult
    func enqueue(
        publish: Bool, size: Int = 0, subject: String = "", bufferIfDisconnected: Bool = true,
        _ write: (inout ByteBuffer) -> Void
    ) throws -> EventLoopFuture<Void>? {
        var scheduleOn: Channel?
        var backlog: EventLoopFuture<Void>?
        try lock.withLock { () throws in
            if state.closed { throw NATSError(.connectionClosed, "the connection is closed") }
            if publish {
                if state.draining { throw NATSError(.draining, "the connection is draining") }
                if let limit = state.info?.maxPayload, size > limit {
                    throw NATSError(
                        .maxPayloadExceeded, "message to \"\(subject)\" is \(size) bytes, the server allows \(limit)")
                }
            }
            guard let channel = state.channel else {
                guard publish else { return }
                if !bufferIfDisconnected {
                    throw NATSError(.notConnected, "no server connection for \"\(subject)\"")
                }
                if state.outbound.readableBytes >= options.reconnectBufferSize {
                    throw NATSError(
                        .bufferFull, "\(state.outbound.readableBytes) bytes already wait for the reconnect")
                }
                write(&state.outbound)
                return
            }
            write(&state.outbound)
            if !state.flushScheduled {
                state.flushScheduled = true
                scheduleOn = channel
            }
            if !channel.isWritable { backlog = state.lastWrite }
        }
        if let channel = scheduleOn {
            if channel.eventLoop.inEventLoop {
                flushOutbound(channel)
            } else {
                channel.eventLoop.execute { self.flushOutbound(channel) }
            }
        }
        return backlog
    }

    /// Hands the pending batch to the channel (event loop only).
    func flushOutbound(_ channel: Channel) {
        let batch: ByteBuffer? = withState { state in
            guard state.channel === channel else { return nil }
            state.flushScheduled = false
            guard state.outbound.readableBytes > 0 else { return nil }
            let batch = state.outbound
            state.outbound = channel.allocator.buffer(capacity: 16 * 1024)
            return batch
        }
        guard let batch else { return }
        let write = channel.writeAndFlush(batch)
        withState { state in
            if state.channel === channel { state.lastWrite = write }
        }
    }

    // MARK: From the channel handler (event loop)

    func route(_ message: NATSMessage) {
        let found: (Subscriber, Bool)? = withState { state in
            guard let subscriber = state.subscriptions[message.sid] else { return nil }
            subscriber.delivered += 1
            var done = false
            if let max = subscriber.max, subscriber.delivered >= max {
                state.subscriptions[message.sid] = nil
                done = true
            }
            return (subscriber, done)
        }
        guard let (subscriber, done) = found else { return }
        if !subscriber.deliver(message) {
            let first = withState { _ in
                subscriber.dropped += 1
                return subscriber.dropped == 1
            }
            if first {
                emit(.error(NATSError(.io, "slow consumer on \"\(subscriber.subject)\": messages dropped")))
            }
        }
        if done { subscriber.finish() }
    }

    func pongReceived(on channel: Channel) {
        let waiter: EventLoopPromise<Void>?? = withState { state in
            guard state.channel === channel else { return nil }
            state.pingsOutstanding = 0
            return state.pongWaiters.popFirst()
        }
        waiter??.succeed(())
    }

    func infoReceived(_ info: ServerInfo, on channel: Channel) {
        var discovered: [String]?
        var lameDuck: ServerURL?
        withState { state in
            guard state.channel === channel else { return }
            state.info = info
            if !options.ignoreDiscoveredServers, let urls = info.connectURLs,
                state.pool.merge(
                    connectURLs: urls, current: state.current, tls: state.current?.wantsTLS ?? false)
            {
                discovered = state.pool.entries.map { $0.url.description }
            }
            if info.lameDuckMode == true, state.lameDuckServer != state.current {
                state.lameDuckServer = state.current
                lameDuck = state.current
            }
        }
        if let discovered { emit(.serversDiscovered(discovered)) }
        if let lameDuck {
            logger.warning("server entered lame duck mode", metadata: ["server": "\(lameDuck)"])
            emit(.lameDuckMode(server: lameDuck.description))
        }
    }

    func serverError(_ text: String, on channel: Channel) {
        let error = NATSError.fromServer(text)
        logger.warning("server error", metadata: ["error": "\(text)"])
        if NATSError.isFatalServerError(text) {
            recordError(error, on: channel)
        } else {
            emit(.error(error))
        }
    }

    func recordError(_ error: NATSError, on channel: Channel) {
        withState { state in
            state.lastError = (ObjectIdentifier(channel), error)
        }
    }

    // MARK: Keepalive

    func keepaliveTick(_ channel: Channel) {
        let stale: Bool = withState { state in
            guard state.channel === channel else { return false }
            if state.pingsOutstanding >= options.maxPingsOutstanding { return true }
            state.pingsOutstanding += 1
            state.pongWaiters.append(nil)
            state.outbound.writePing()
            if !state.flushScheduled {
                state.flushScheduled = true
                channel.eventLoop.execute { self.flushOutbound(channel) }
            }
            return false
        }
        if stale {
            logger.warning("server did not answer PINGs; dropping the connection")
            recordError(
                NATSError(.staleConnection, "\(options.maxPingsOutstanding) PINGs unanswered"), on: channel)
            channel.close(promise: nil)
        }
    }

    // MARK: Snapshot

    func droppedMessages(sid: UInt64) -> UInt64 {
        withState { $0.subscriptions[sid]?.dropped ?? 0 }
    }
}

/// A `NIOSSLContext` is thread-safe but not declared `Sendable`.
struct NIOSSLContextBox: @unchecked Sendable {
    let context: AnyObject
}
