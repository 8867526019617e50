import Foundation
import NATSClient
import NATSTestSupport
import Testing

/// Reconnects, keepalive, lame duck mode and cluster discovery against real servers.
@Suite struct ResilienceTests {
    /// The server is killed and restarted on the same port: the subscription keeps working, messages
    /// published while disconnected are delivered once, and the events tell the story in order.
    @Test func subscriptionSurvivesServerRestart() async throws {
        let server = try await TestServer.start()
        defer { server.stop() }
        var options = NATSOptions(servers: [server.url])
        options.reconnectWait = .milliseconds(100)
        let nc = try await NATSConnection.connect(options)
        let events = EventLog(nc.events())
        let sub = try nc.subscribe(to: "live")
        var it = sub.makeAsyncIterator()
        try await nc.publish("before", to: "live")
        #expect(await it.next()?.string == "before")

        try await server.kill()
        try await poll("disconnected") { !nc.isConnected }
        try await nc.publish("while-down", to: "live")
        await #expect { _ = try await nc.request("x", to: "live", timeout: .seconds(5)) } throws: {
            ($0 as? NATSError)?.code == .notConnected
        }
        try await server.restart()
        try await poll("reconnected") { events.contains { if case .reconnected = $0 { true } else { false } } }
        try await nc.publish("after", to: "live")
        #expect(await it.next()?.string == "while-down")
        #expect(await it.next()?.string == "after")
        #expect(nc.reconnectCount == 1)
        let kinds = events.snapshot.map { "\($0)".components(separatedBy: " ").first ?? "" }
        #expect(kinds.firstIndex(of: "disconnected")! < kinds.firstIndex(of: "reconnected")!)
        await nc.close()
    }

    /// A server that stops answering (SIGSTOP) is noticed by the keepalive within a few ping intervals,
    /// and the client moves to another server of the pool.
    @Test func frozenServerIsNoticedInSeconds() async throws {
        let first = try await TestServer.start()
        let second = try await TestServer.start()
        defer {
            first.resume()
            first.stop()
            second.stop()
        }
        var options = NATSOptions(servers: [first.url, second.url])
        options.retainServerOrder = true
        options.pingInterval = .milliseconds(250)
        options.maxPingsOutstanding = 2
        options.reconnectWait = .milliseconds(100)
        options.connectTimeout = .milliseconds(500)
        let nc = try await NATSConnection.connect(options)
        #expect(nc.connectedServer == "nats://127.0.0.1:\(first.port)")
        let clock = ContinuousClock()
        let start = clock.now
        first.freeze()
        try await poll("moved to the second server", timeout: .seconds(5)) {
            nc.isConnected && nc.connectedServer == "nats://127.0.0.1:\(second.port)"
        }
        #expect(clock.now - start < .seconds(3))
        await nc.close()
    }

    @Test func lameDuckModeIsReported() async throws {
        let server = try await TestServer.start()
        defer { server.stop() }
        let nc = try await NATSConnection.connect(NATSOptions(servers: [server.url]))
        let events = EventLog(nc.events())
        server.lameDuck()
        try await poll("lame duck event") { events.contains { if case .lameDuckMode = $0 { true } else { false } } }
        await nc.close()
    }

    @Test func maxReconnectsGivesUpAndCloses() async throws {
        let server = try await TestServer.start()
        var options = NATSOptions(servers: [server.url])
        options.maxReconnects = 2
        options.reconnectWait = .milliseconds(50)
        options.reconnectJitter = .zero
        let nc = try await NATSConnection.connect(options)
        let events = EventLog(nc.events())
        server.stop()
        try await poll("closed after giving up") {
            nc.isClosed && events.contains { if case .closed = $0 { true } else { false } }
        }
    }

    /// Servers advertised by a cluster are added to the pool; when the connected server dies the
    /// client moves to one it only knew from discovery.
    @Test func clusterDiscoveryAndFailover() async throws {
        let cluster = try await TestCluster.start()
        defer { cluster.stop() }
        var options = NATSOptions(servers: [cluster.urls[0]])
        options.reconnectWait = .milliseconds(100)
        let nc = try await NATSConnection.connect(options)
        try await poll("three servers known") { nc.knownServers.count == 3 }
        let received = Counter()
        try nc.subscribe(to: "c") { _ in received.increment() }
        try await nc.flush()
        try await cluster.kill(0)
        try await poll("reconnected to a discovered server") {
            nc.isConnected && nc.connectedServer != "nats://127.0.0.1:\(cluster.ports[0])"
        }
        let other = try await NATSConnection.connect(NATSOptions(servers: [cluster.urls[1], cluster.urls[2]]))
        try await poll("a message reaches the resubscribed subscription through the cluster") {
            try await other.publish("x", to: "c")
            return received.value > 0
        }
        await other.close()
        await nc.close()
    }
}

/// Collects events from a stream in the background.
final class EventLog: @unchecked Sendable {
    private let lock = NSLock()
    private var events: [NATSEvent] = []
    private var task: Task<Void, Never>?

    init(_ stream: AsyncStream<NATSEvent>) {
        task = Task { [weak self] in
            for await event in stream { self?.append(event) }
        }
    }

    private func append(_ event: NATSEvent) { lock.withLock { events.append(event) } }
    var snapshot: [NATSEvent] { lock.withLock { events } }
    func contains(_ predicate: (NATSEvent) -> Bool) -> Bool { snapshot.contains(where: predicate) }
    deinit { task?.cancel() }
}
