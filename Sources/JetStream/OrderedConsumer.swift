import Foundation
import NATSClient

/// An ordered push consumer (ADR-17): every message of the stream that matches its configuration,
/// exactly once and in stream order, as an `AsyncSequence`.
///
/// Behind the sequence the client keeps a server-side ephemeral consumer alive. It answers flow
/// control and stall notices, and recreates the consumer from the last delivered stream sequence
/// + 1 when a consumer sequence is skipped (gap), a heartbeat contradicts what arrived, heartbeats
/// stop (three intervals), the server reports the consumer gone, or the connection reconnects. A
/// recreation retries until it succeeds, the connection closes or ``stop()`` is called.
///
/// Iterate it from one task at a time. It ends when stopped and throws ``JetStreamError``
/// (`.connectionClosed`) when the connection closes.
public struct OrderedConsumer: AsyncSequence, Sendable {
    public typealias Element = JetStreamMessage

    let engine: OrderedConsumerEngine
    /// Messages the consumer had to deliver when it was created (`num_pending`).
    public let initialPending: UInt64

    /// The iterator; all state lives in the consumer.
    public struct Iterator: AsyncIteratorProtocol {
        let engine: OrderedConsumerEngine
        /// The next message, `nil` once stopped.
        public mutating func next() async throws -> JetStreamMessage? { try await engine.next() }
    }

    public func makeAsyncIterator() -> Iterator { Iterator(engine: engine) }

    /// Stops delivery, unsubscribes and deletes the server-side consumer (best effort).
    public func stop() async { await engine.stop() }

    /// How many times the server-side consumer was recreated.
    public var recreations: Int { get async { await engine.recreations } }

    /// The stream sequence delivery resumes after: the last message handed out (before the first:
    /// 0, or the position implied by a `.new` or `.startSequence` policy).
    public var lastStreamSequence: UInt64 { get async { await engine.lastStreamSeq } }
}

extension JetStreamContext {
    /// Creates an ordered push consumer on `stream`.
    ///
    /// The deliver subscription is made before the consumer exists, so nothing is missed. Creation
    /// retries transient failures within ``retryBudget``.
    /// - Throws: ``JetStreamError`` (10059 stream not found, 10094 bad policy, ...).
    public func orderedConsumer(
        stream: String,
        config: OrderedConsumerConfig = OrderedConsumerConfig()
    )
        async throws -> OrderedConsumer
    {
        try Self.checkStreamName(stream)
        let engine = OrderedConsumerEngine(js: self, stream: stream, config: config)
        do {
            let pending = try await engine.start()
            return OrderedConsumer(engine: engine, initialPending: pending)
        } catch {
            await engine.stop()
            throw error
        }
    }
}

/// The ordered consumer's state. Subscription callbacks, connection events and a heartbeat timer
/// only feed ``Input`` values into one stream; all decisions are made in ``next()``.
actor OrderedConsumerEngine {
    enum Input: Sendable {
        case message(generation: UInt64, NATSMessage)
        case event(NATSEvent)
        case tick
    }

    let js: JetStreamContext
    let stream: String
    let config: OrderedConsumerConfig
    private let continuation: AsyncStream<Input>.Continuation
    private var inputs: AsyncStream<Input>.Iterator
    private var helpers: [Task<Void, Never>] = []
    private let clock = ContinuousClock()

    private var generation: UInt64 = 0
    private var sid: UInt64?
    private var consumerName: String?
    private var expectedConsumerSeq: UInt64 = 1
    private(set) var lastStreamSeq: UInt64 = 0
    /// Whether ``lastStreamSeq`` marks where to resume (otherwise resume with the original policy).
    private var positioned = false
    private var lastActivity: ContinuousClock.Instant
    private var resetReason: String?
    /// A heartbeat confirmed that everything sent so far was received.
    private var sawIdleHeartbeat = false
    private var finished = false
    private(set) var recreations = 0
    /// Why the consumer was last recreated (diagnostics).
    private(set) var lastResetReason: String?

    init(js: JetStreamContext, stream: String, config: OrderedConsumerConfig) {
        self.js = js
        self.stream = stream
        self.config = config
        let (stream, continuation) = AsyncStream.makeStream(of: Input.self)
        self.continuation = continuation
        self.inputs = stream.makeAsyncIterator()
        self.lastActivity = ContinuousClock().now
    }

    deinit {
        for helper in helpers { helper.cancel() }
        if let sid { try? js.connection.unsubscribe(sid: sid) }
        continuation.finish()
    }

    /// Starts the event and heartbeat feeds and creates the consumer; returns its `num_pending`.
    func start() async throws -> UInt64 {
        let events = js.connection.events()
        let feed = continuation
        helpers.append(Task { for await event in events { feed.yield(.event(event)) } })
        let interval = config.idleHeartbeat
        helpers.append(
            Task {
                while !Task.isCancelled {
                    try? await Task.sleep(for: interval)
                    feed.yield(.tick)
                }
            }
        )
        var policy = config.deliverPolicy
        if policy == .new {
            // Pin "new" to a sequence so that a later recreation resumes exactly there.
            let last = try await js.withRetries { _ in try await js.streamInfo(stream).state.lastSeq }
            policy = .startSequence(last + 1)
        }
        if let start = policy.startSequence {
            lastStreamSeq = start - 1
            positioned = true
        } else if policy == .all {
            positioned = true
        }
        let reply = try await js.withRetries { remaining in try await create(policy: policy, timeout: remaining) }
        return reply.numPending ?? 0
    }

    /// What ``nextDelivery(reportIdle:)`` hands out.
    enum Delivery: Sendable {
        case message(JetStreamMessage)
        /// An idle heartbeat arrived that agrees with what was received: the server has nothing
        /// more to deliver right now.
        case idle
    }

    /// The next message for the application, handling everything else on the way.
    func next() async throws -> JetStreamMessage? {
        while let delivery = try await nextDelivery(reportIdle: false) {
            if case .message(let message) = delivery { return message }
        }
        return nil
    }

    /// The next message, or (with `reportIdle`) a sign that the consumer is caught up.
    func nextDelivery(reportIdle: Bool) async throws -> Delivery? {
        while !finished {
            if Task.isCancelled { return nil }
            if let reason = resetReason { try await recreate(reason: reason) }
            var iterator = inputs
            let input = await iterator.next(isolation: self)
            inputs = iterator
            guard let input else { break }
            switch input {
            case .tick:
                if clock.now - lastActivity > config.idleHeartbeat * 3 && js.connection.isConnected {
                    resetReason = "no heartbeat for \(clock.now - lastActivity)"
                }
            case .event(.reconnected):
                resetReason = "the connection was re-established"
            case .event(.closed):
                finished = true
                throw JetStreamError(.connectionClosed, "consumer on \(stream): the connection closed")
            case .event:
                continue
            case .message(let generation, let message):
                guard generation == self.generation else { continue }
                lastActivity = clock.now
                if let delivered = try await handle(message) { return .message(delivered) }
                if sawIdleHeartbeat {
                    sawIdleHeartbeat = false
                    if reportIdle { return .idle }
                }
            }
        }
        return nil
    }

    /// Stops for good.
    func stop() async {
        guard !finished || sid != nil else { return }
        finished = true
        for helper in helpers { helper.cancel() }
        helpers.removeAll()
        continuation.finish()
        if let sid { try? js.connection.unsubscribe(sid: sid) }
        sid = nil
        if let name = consumerName { await deleteConsumer(name) }
        consumerName = nil
    }

    /// Feeds `message` in as if it arrived on the current deliver subscription (tests forge
    /// deliveries the server would refuse from a client, such as `$JS.ACK` reply subjects).
    func inject(_ message: NATSMessage) {
        continuation.yield(.message(generation: generation, message))
    }

    // MARK: Messages

    /// - Throws: ``JetStreamError`` `.invalidReply` for a data message whose reply subject is not an
    ///   ack subject: without its sequences nothing can be tracked, and dropping it would lose it.
    private func handle(_ message: NATSMessage) async throws -> JetStreamMessage? {
        if let status = message.status {
            if status == 100 {
                await handleControl(message)
            } else {
                resetReason = "server status \(status) \(message.headers?.statusDescription ?? "")"
            }
            return nil
        }
        guard let reply = message.replyTo else {
            throw JetStreamError(
                .invalidReply,
                "consumer on \(stream): message on \"\(message.subject)\" without a reply subject"
            )
        }
        let metadata = try AckMetadata(ackSubject: reply)
        guard metadata.consumerSequence == expectedConsumerSeq else {
            resetReason = "consumer sequence \(metadata.consumerSequence), expected \(expectedConsumerSeq)"
            return nil
        }
        expectedConsumerSeq += 1
        lastStreamSeq = metadata.streamSequence
        positioned = true
        return JetStreamMessage(
            subject: message.subject,
            headers: message.headers,
            payload: message.payload,
            metadata: metadata
        )
    }

    /// Flow control requests (they have a reply subject) and idle heartbeats (they do not).
    private func handleControl(_ message: NATSMessage) async {
        if let reply = message.replyTo, !reply.isEmpty {
            // Everything received before this request has been handed out already: answer now.
            try? await js.connection.publish(ByteBuffer(), to: reply)
            return
        }
        if let stalled = message.headers?["Nats-Consumer-Stalled"], !stalled.isEmpty {
            try? await js.connection.publish(ByteBuffer(), to: stalled)
            return
        }
        if let text = message.headers?["Nats-Last-Consumer"], let last = UInt64(text), last != expectedConsumerSeq - 1 {
            resetReason = "heartbeat says consumer sequence \(last), received \(expectedConsumerSeq - 1)"
            return
        }
        sawIdleHeartbeat = true
    }

    // MARK: Creation

    /// Subscribes a fresh inbox (a new generation; older deliveries are ignored from now on) and
    /// creates a consumer delivering to it.
    private func create(policy: DeliverPolicy, timeout: Duration) async throws -> ConsumerCreateReply {
        generation += 1
        let generation = self.generation
        if let sid { try? js.connection.unsubscribe(sid: sid) }
        sid = nil
        expectedConsumerSeq = 1
        let inbox = js.connection.newInbox()
        let feed = continuation
        do {
            sid = try js.connection.subscribe(to: inbox) { feed.yield(.message(generation: generation, $0)) }
        } catch {
            throw JetStreamError.from(error, subject: inbox)
        }
        let body = try config.createRequest(stream: stream, deliverSubject: inbox, policy: policy)
        let reply: ConsumerCreateReply = try await js.request(
            "CONSUMER.CREATE.\(stream)",
            body: body,
            timeout: min(timeout, js.requestTimeout)
        )
        consumerName = reply.name
        lastActivity = clock.now
        return reply
    }

    /// Replaces the consumer, resuming after the last message handed out.
    private func recreate(reason: String) async throws {
        lastResetReason = reason
        let old = consumerName
        let policy = positioned ? DeliverPolicy.startSequence(lastStreamSeq + 1) : config.deliverPolicy
        var pause = Duration.milliseconds(50)
        while true {
            if finished || Task.isCancelled { throw JetStreamError(.consumerClosed, "consumer on \(stream) stopped") }
            if js.connection.isConnected {
                do {
                    _ = try await create(policy: policy, timeout: js.requestTimeout)
                    break
                } catch let error as JetStreamError where !Self.worthRetrying(error) {
                    finished = error.kind == .connectionClosed
                    throw error
                } catch {
                    // The stream may have no leader yet, or JetStream is still starting: try again.
                }
            }
            try? await Task.sleep(for: pause)
            pause = min(pause * 2, .seconds(1))
        }
        recreations += 1
        resetReason = nil
        if let old { await deleteConsumer(old) }
    }

    /// Recreation gives up only on a closed connection or a configuration the server rejects.
    private static func worthRetrying(_ error: JetStreamError) -> Bool {
        if error.kind == .connectionClosed || error.kind == .invalidArgument { return false }
        if error.kind == .api, error.code == 400 { return false }
        return true
    }

    private func deleteConsumer(_ name: String) async {
        let _: SuccessReply? = try? await js.request(
            "CONSUMER.DELETE.\(stream).\(name)",
            body: nil,
            timeout: .seconds(1)
        )
    }
}
