import Foundation
import NATSClient
import Synchronization

/// A NATS micro service (ADR-32): endpoints served through queue subscriptions, discoverable with
/// `$SRV.PING`, `$SRV.INFO` and `$SRV.STATS` (all services, by name, by name and id), so
/// `nats micro ls/info/stats` work.
///
/// ```swift
/// let service = try await Service.start(ServiceConfig(name: "calc", version: "1.0.0"), on: connection)
/// try await service.addEndpoint("echo") { request in try await request.respond(request.payload) }
/// ...
/// await service.stop()
/// ```
public final class Service: Sendable {
    /// This instance's id (a NUID), unique per start.
    public let id: String
    /// The configuration it was started with.
    public let config: ServiceConfig
    /// When it started.
    public let started: Date
    let connection: NATSConnection
    private let startedText: String

    private struct State {
        var endpoints: [Endpoint] = []
        var endpointSubscriptions: [NATSSubscription] = []
        var controlSids: [UInt64] = []
        var tasks: [Task<Void, Never>] = []
        var stopped = false
    }

    private let state = Mutex(State())
    private let controlContinuation: AsyncStream<(ServiceVerb, NATSMessage)>.Continuation

    private init(config: ServiceConfig, connection: NATSConnection) {
        var nuid = NUID()
        self.id = nuid.next()
        self.config = config
        self.connection = connection
        self.started = Date()
        self.startedText = started.rfc3339
        let (stream, continuation) = AsyncStream.makeStream(
            of: (ServiceVerb, NATSMessage).self, bufferingPolicy: .bufferingOldest(4096))
        self.controlContinuation = continuation
        let task = Task { [weak self] in
            for await (verb, message) in stream {
                guard let self else { return }
                await self.answerControl(verb, message)
            }
        }
        state.withLock { $0.tasks.append(task) }
    }

    /// Validates `config`, subscribes the nine discovery subjects and returns the running service.
    /// - Parameters:
    ///   - config: name, version, description, metadata, default queue group.
    ///   - connection: the connection to serve on; the service does not own it.
    /// - Throws: ``MicroError`` `.invalidConfig`, or `NATSError` from subscribing or flushing.
    public static func start(_ config: ServiceConfig, on connection: NATSConnection) async throws -> Service {
        try config.validate()
        let service = Service(config: config, connection: connection)
        do {
            try service.subscribeControl()
            try await connection.flush()
        } catch {
            await service.stop()
            throw error
        }
        return service
    }

    private func subscribeControl() throws {
        let continuation = controlContinuation
        for verb in ServiceVerb.allCases {
            for subject in [
                verb.subject(prefix: config.controlPrefix),
                verb.subject(name: config.name, prefix: config.controlPrefix),
                verb.subject(name: config.name, id: id, prefix: config.controlPrefix),
            ] {
                // The callback only hands the message to the service's own task; it never blocks the loop.
                let sid = try connection.subscribe(to: subject) { message in continuation.yield((verb, message)) }
                state.withLock { $0.controlSids.append(sid) }
            }
        }
    }

    // MARK: Endpoints

    /// Adds an endpoint and starts serving it.
    /// - Parameters:
    ///   - name: `^[A-Za-z0-9_-]+$`, unique within the service.
    ///   - subject: the subject to serve; defaults to `name`.
    ///   - queueGroup: overrides ``ServiceConfig/queueGroup``; `""` means a plain subscription.
    ///   - metadata: reported by `$SRV.INFO`.
    ///   - handler: called for each request, one at a time.
    /// - Throws: ``MicroError`` `.invalidEndpoint` or `.stopped`, or `NATSError` from subscribing.
    public func addEndpoint(
        _ name: String, subject: String? = nil, queueGroup: String? = nil, metadata: [String: String] = [:],
        handler: @escaping ServiceHandler
    ) async throws {
        let endpoint = try makeEndpoint(name, subject: subject, queueGroup: queueGroup, metadata: metadata)
        let subscription = try connection.subscribe(to: endpoint.subject, queue: endpoint.queueGroup)
        let connection = self.connection
        let stoppedMeanwhile = state.withLock { state -> Bool in
            guard !state.stopped else { return true }
            state.endpoints.append(endpoint)
            state.endpointSubscriptions.append(subscription)
            state.tasks.append(Task { await endpoint.serve(subscription, connection: connection, handler: handler) })
            return false
        }
        if stoppedMeanwhile {
            try? subscription.unsubscribe()
            throw MicroError(.stopped, "service '\(config.name)' is stopped")
        }
        try await connection.flush()
    }

    private func makeEndpoint(
        _ name: String, subject: String?, queueGroup: String?, metadata: [String: String]
    ) throws(MicroError) -> Endpoint {
        guard Validation.isValidName(name) else {
            throw MicroError(.invalidEndpoint, "endpoint name '\(name)' must match ^[A-Za-z0-9_-]+$")
        }
        let subject = subject ?? name
        guard Validation.isValidEndpointSubject(subject), !subject.hasPrefix(config.controlPrefix + ".") else {
            throw MicroError(.invalidEndpoint, "endpoint subject '\(subject)' is invalid")
        }
        let group = queueGroup ?? config.queueGroup
        guard group.isEmpty || Validation.isValidQueueGroup(group) else {
            throw MicroError(.invalidEndpoint, "queue group '\(group)' is invalid")
        }
        try state.withLock { state throws(MicroError) in
            if state.stopped { throw MicroError(.stopped, "service '\(config.name)' is stopped") }
            if state.endpoints.contains(where: { $0.name == name }) {
                throw MicroError(.invalidEndpoint, "endpoint '\(name)' already exists")
            }
        }
        return Endpoint(name: name, subject: subject, queueGroup: group.isEmpty ? nil : group, metadata: metadata)
    }

    /// A group whose endpoints' subjects are prefixed with `prefix` (group `math` + endpoint subject `sum`
    /// → `math.sum`).
    /// - Parameters:
    ///   - prefix: one or more subject tokens.
    ///   - queueGroup: default queue group of the group's endpoints (inherits the service's when `nil`).
    public func group(_ prefix: String, queueGroup: String? = nil) -> ServiceGroup {
        ServiceGroup(service: self, prefix: prefix, queueGroup: queueGroup)
    }

    // MARK: Discovery

    /// What `$SRV.PING` answers.
    public var ping: PingResponse {
        PingResponse(name: config.name, id: id, version: config.version, metadata: config.metadata)
    }

    /// What `$SRV.INFO` answers.
    public var info: InfoResponse {
        InfoResponse(
            name: config.name, id: id, version: config.version, description: config.description,
            metadata: config.metadata, endpoints: state.withLock { $0.endpoints }.map(\.info))
    }

    /// What `$SRV.STATS` answers. A request is counted when its handler returns, which is just after the
    /// handler's reply went out.
    public var stats: StatsResponse {
        StatsResponse(
            name: config.name, id: id, version: config.version, metadata: config.metadata, started: startedText,
            endpoints: state.withLock { $0.endpoints }.map { endpoint in
                var stats = endpoint.stats
                stats.data = config.statsHandler?(endpoint.name)
                return stats
            })
    }

    /// Zeroes every endpoint's counters.
    public func resetStats() {
        for endpoint in state.withLock({ $0.endpoints }) { endpoint.resetStats() }
    }

    private func answerControl(_ verb: ServiceVerb, _ message: NATSMessage) async {
        // The request body is ignored (the nats CLI sends `{}`); without a reply subject there is nothing to do.
        guard let replyTo = message.replyTo else { return }
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        do {
            let body: Data
            switch verb {
            case .ping: body = try encoder.encode(ping)
            case .info: body = try encoder.encode(info)
            case .stats: body = try encoder.encode(stats)
            }
            try await connection.publish(body, to: replyTo)
        } catch {
            var headers = NATSHeaders()
            headers.append("\(error)", for: ServiceErrorHeader.description)
            headers.append("500", for: ServiceErrorHeader.code)
            try? await connection.publish(ByteBuffer(), to: replyTo, headers: headers)
        }
    }

    // MARK: Lifecycle

    /// Whether ``stop()`` was called.
    public var isStopped: Bool { state.withLock { $0.stopped } }

    /// Unsubscribes every endpoint and discovery subject, lets requests already received finish, and
    /// returns when the service no longer answers. The connection stays open.
    public func stop() async {
        let (subscriptions, sids, tasks) = state.withLock { state in
            let taken = (state.endpointSubscriptions, state.controlSids, state.tasks)
            state.stopped = true
            state.endpointSubscriptions = []
            state.controlSids = []
            state.tasks = []
            return taken
        }
        for sid in sids { try? connection.unsubscribe(sid: sid) }
        for subscription in subscriptions { try? subscription.unsubscribe() }
        controlContinuation.finish()
        for task in tasks { await task.value }
        try? await connection.flush()
    }
}

/// Endpoints sharing a subject prefix and, optionally, a queue group.
public struct ServiceGroup: Sendable {
    let service: Service
    /// The subject prefix, e.g. `math`.
    public let prefix: String
    let queueGroup: String?

    /// Adds an endpoint whose subject is `<prefix>.<subject ?? name>`.
    /// - Parameters: as ``Service/addEndpoint(_:subject:queueGroup:metadata:handler:)``; `queueGroup`
    ///   defaults to the group's, then the service's.
    public func addEndpoint(
        _ name: String, subject: String? = nil, queueGroup: String? = nil, metadata: [String: String] = [:],
        handler: @escaping ServiceHandler
    ) async throws {
        try await service.addEndpoint(
            name, subject: "\(prefix).\(subject ?? name)", queueGroup: queueGroup ?? self.queueGroup,
            metadata: metadata, handler: handler)
    }

    /// A nested group: `<prefix>.<name>`.
    public func group(_ name: String, queueGroup: String? = nil) -> ServiceGroup {
        ServiceGroup(service: service, prefix: "\(prefix).\(name)", queueGroup: queueGroup ?? self.queueGroup)
    }
}
