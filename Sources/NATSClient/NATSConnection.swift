import Foundation
import Logging
import NATSProtocol
import NIOCore

/// A connection to a NATS server or cluster: publish, subscribe, request/reply, flush, drain.
///
/// It survives server restarts and failovers by itself: it keeps PINGing to notice a dead server in
/// seconds, reconnects (walking the pool, including servers the cluster advertised), re-sends every
/// subscription and the publishes made while disconnected, and reports each step on ``events()``.
public final class NATSConnection: Sendable {
    let core: ConnectionCore

    private init(core: ConnectionCore) {
        self.core = core
    }

    /// Connects to the first reachable server of `options.servers`.
    /// - Throws: ``NATSError`` with `.invalidURL`, `.authorizationViolation`, `.tls`, `.noServers`, ...
    public static func connect(_ options: NATSOptions, logger: Logger = Logger(label: "nats")) async throws
        -> NATSConnection
    {
        var urls: [ServerURL] = []
        for text in options.servers { urls.append(try ServerURL(text)) }
        guard !urls.isEmpty else { throw NATSError(.noServers, "no server URL given") }
        let core = ConnectionCore(options: options, urls: urls, logger: logger)
        var lastError: Error?
        for url in core.withState({ $0.pool.entries.map(\.url) }) {
            do {
                let (channel, info) = try await core.openChannel(to: url)
                try core.install(channel, url: url, info: info)
                core.supervisor.withLockedValue { task in
                    task = Task { await core.supervise() }
                }
                return NATSConnection(core: core)
            } catch {
                lastError = error
                logger.debug("connect failed", metadata: ["server": "\(url)", "error": "\(error)"])
            }
        }
        await core.close()
        if let error = lastError as? NATSError, error.code != .io { throw error }
        throw NATSError(
            .noServers, "no server reachable (\(urls.map(\.description).joined(separator: ", "))): \(lastError.map { "\($0)" } ?? "")")
    }

    /// Checks a server URL the way ``connect(_:logger:)`` reads it and returns it without credentials.
    /// - Throws: ``NATSError`` `.invalidURL` naming the URL and what is wrong with it.
    public static func validate(url: String) throws -> String {
        try ServerURL(url).description
    }

    // MARK: Publishing

    /// Publishes `payload` to `subject`.
    ///
    /// Returns once the message is queued for the socket (or, while disconnected, in the reconnect
    /// buffer); waits only when the socket is backed up.
    /// - Throws: `.invalidSubject`, `.maxPayloadExceeded`, `.bufferFull`, `.connectionClosed`, `.draining`.
    public func publish(
        _ payload: ByteBuffer, to subject: String, replyTo: String? = nil, headers: NATSHeaders? = nil
    ) async throws {
        if let backlog = try core.publish(subject: subject, replyTo: replyTo, headers: headers, payload: payload) {
            try? await backlog.get()
        }
    }

    /// Publishes without ever suspending: the message is queued for the socket (or the reconnect
    /// buffer) and the call returns. Meant for callbacks on the event loop (``subscribe(to:queue:handler:)``
    /// responders) and tight loops; unlike the async `publish` it does not
    /// wait when the socket is backed up, so the caller bounds its own rate.
    /// - Throws: the same errors as the async variant.
    public func publishNow(
        _ payload: ByteBuffer, to subject: String, replyTo: String? = nil, headers: NATSHeaders? = nil
    ) throws {
        _ = try core.publish(subject: subject, replyTo: replyTo, headers: headers, payload: payload)
    }

    /// Publishes UTF-8 text.
    public func publish(
        _ text: String, to subject: String, replyTo: String? = nil, headers: NATSHeaders? = nil
    ) async throws {
        try await publish(ByteBuffer(string: text), to: subject, replyTo: replyTo, headers: headers)
    }

    /// Publishes bytes.
    public func publish(
        _ bytes: [UInt8], to subject: String, replyTo: String? = nil, headers: NATSHeaders? = nil
    ) async throws {
        try await publish(ByteBuffer(bytes: bytes), to: subject, replyTo: replyTo, headers: headers)
    }

    /// Publishes `Data`.
    public func publish(
        _ data: Data, to subject: String, replyTo: String? = nil, headers: NATSHeaders? = nil
    ) async throws {
        try await publish(ByteBuffer(bytes: data), to: subject, replyTo: replyTo, headers: headers)
    }

    // MARK: Subscribing

    /// Subscribes to `subject` (wildcards allowed), optionally in a queue group.
    ///
    /// The subscription is registered with the server before any later publish on this connection.
    public func subscribe(to subject: String, queue: String? = nil) throws -> NATSSubscription {
        let capacity = core.options.subscriptionCapacity
        let (stream, continuation) = AsyncStream.makeStream(
            of: NATSMessage.self, bufferingPolicy: .bufferingOldest(capacity))
        let sid = try core.subscribe(subject: subject, queue: queue) { _ in .stream(continuation) }
        continuation.onTermination = { [weak core] termination in
            if case .cancelled = termination { core?.readerGone(sid: sid) }
        }
        return NATSSubscription(core: core, sid: sid, subject: subject, stream: stream)
    }

    /// Subscribes with a callback run on the connection's event loop for each message (it must not
    /// block). Returns the subscription id for ``unsubscribe(sid:)``.
    @discardableResult
    public func subscribe(
        to subject: String, queue: String? = nil, handler: @escaping @Sendable (NATSMessage) -> Void
    ) throws -> UInt64 {
        try core.subscribe(subject: subject, queue: queue) { _ in .handler(handler) }
    }

    /// Ends a callback subscription.
    public func unsubscribe(sid: UInt64) throws {
        try core.unsubscribe(sid: sid, after: nil)
    }

    // MARK: Request/reply

    /// Sends a request and waits for the first reply, over one shared inbox subscription.
    ///
    /// Unlike a publish, a request is not kept in the reconnect buffer: while disconnected it fails at
    /// once, so that a write the caller saw fail cannot reach the server later.
    /// - Throws: `.noResponders` at once when nobody listens; `.timeout` after `timeout`;
    ///   `.notConnected` while the connection is down.
    public func request(
        _ payload: ByteBuffer, to subject: String, headers: NATSHeaders? = nil, timeout: Duration = .seconds(5)
    ) async throws -> NATSMessage {
        try await core.request(subject: subject, headers: headers, payload: payload, timeout: timeout)
    }

    /// Sends a text request.
    public func request(
        _ text: String, to subject: String, headers: NATSHeaders? = nil, timeout: Duration = .seconds(5)
    ) async throws -> NATSMessage {
        try await request(ByteBuffer(string: text), to: subject, headers: headers, timeout: timeout)
    }

    /// Sends a `Data` request.
    public func request(
        _ data: Data, to subject: String, headers: NATSHeaders? = nil, timeout: Duration = .seconds(5)
    ) async throws -> NATSMessage {
        try await request(ByteBuffer(bytes: data), to: subject, headers: headers, timeout: timeout)
    }

    // MARK: Lifecycle

    /// Waits until the server has processed everything sent so far (PING/PONG round trip).
    public func flush(timeout: Duration = .seconds(5)) async throws {
        try await core.flush(timeout: timeout)
    }

    /// Stops every subscription, lets messages already received be read, sends what is queued, then
    /// closes.
    public func drain(timeout: Duration = .seconds(5)) async {
        await core.drain(timeout: timeout)
    }

    /// Closes the connection now.
    public func close() async {
        await core.close()
    }

    /// A new stream of connection events (each call gets its own stream).
    public func events() -> AsyncStream<NATSEvent> {
        core.events()
    }

    /// A unique inbox subject under ``NATSOptions/inboxPrefix``.
    public func newInbox() -> String {
        var nuid = NUID()
        return "\(core.options.inboxPrefix).\(nuid.next())"
    }

    /// Whether a server connection is up right now.
    public var isConnected: Bool { core.withState { $0.channel != nil } }
    /// Whether the connection is closed for good.
    public var isClosed: Bool { core.withState { $0.closed } }
    /// The latest INFO from the current (or last) server.
    public var serverInfo: ServerInfo? { core.withState { $0.info } }
    /// The URL of the current (or last) server, without credentials.
    public var connectedServer: String? { core.withState { $0.current?.description } }
    /// The servers the client may reconnect to, discovered ones included.
    public var knownServers: [String] { core.withState { $0.pool.entries.map { $0.url.description } } }
    /// How many times the connection was re-established.
    public var reconnectCount: Int { core.withState { $0.reconnects } }
    /// The server's `max_payload`.
    public var maxPayload: Int { core.withState { $0.info?.maxPayload } ?? 1024 * 1024 }
    /// The options this connection was made with.
    public var options: NATSOptions { core.options }
}
