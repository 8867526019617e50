import Foundation
import NATSClient
import NATSTestSupport
import Testing

/// Publish/subscribe, request/reply, headers, queue groups, limits, flush, drain and close against a
/// real nats-server.
@Suite struct CoreTests {
    @Test func publishSubscribeWithWildcards() async throws {
        let server = try await TestServer.start()
        defer { server.stop() }
        let nc = try await NATSConnection.connect(NATSOptions(servers: [server.url]))
        let sub = try nc.subscribe(to: "orders.*")
        let tail = try nc.subscribe(to: "orders.>")
        try await nc.publish("one", to: "orders.new")
        try await nc.publish("two", to: "orders.new.eu")
        try await nc.publish("skip", to: "other")
        var it = sub.makeAsyncIterator()
        let first = await it.next()
        #expect(first?.string == "one")
        #expect(first?.subject == "orders.new")
        var tailIt = tail.makeAsyncIterator()
        #expect(await tailIt.next()?.string == "one")
        #expect(await tailIt.next()?.string == "two")
        try sub.unsubscribe()
        #expect(await it.next() == nil)
        await nc.close()
    }

    @Test func headersRoundTrip() async throws {
        let server = try await TestServer.start()
        defer { server.stop() }
        let nc = try await NATSConnection.connect(NATSOptions(servers: [server.url]))
        let sub = try nc.subscribe(to: "h")
        var headers = NATSHeaders()
        headers.append("1", for: "X-A")
        headers.append("2", for: "X-A")
        headers["X-B"] = "value with spaces"
        try await nc.publish("body", to: "h", headers: headers)
        var it = sub.makeAsyncIterator()
        let message = await it.next()
        #expect(message?.headers?.values(for: "X-A") == ["1", "2"])
        #expect(message?.headers?["X-B"] == "value with spaces")
        #expect(message?.string == "body")
        await nc.close()
    }

    @Test func requestReplyAndNoResponders() async throws {
        let server = try await TestServer.start()
        defer { server.stop() }
        let nc = try await NATSConnection.connect(NATSOptions(servers: [server.url]))
        try nc.subscribe(to: "echo") { message in
            guard let reply = message.replyTo else { return }
            try? nc.publishNow(ByteBuffer(string: "re:" + message.string), to: reply)
        }
        try await nc.flush()
        for index in 0..<20 {
            let reply = try await nc.request("\(index)", to: "echo", timeout: .seconds(2))
            #expect(reply.string == "re:\(index)")
        }
        let clock = ContinuousClock()
        let start = clock.now
        await #expect {
            _ = try await nc.request("x", to: "nobody.listens", timeout: .seconds(5))
        } throws: { ($0 as? NATSError)?.code == .noResponders }
        #expect(clock.now - start < .seconds(1), "no responders must fail fast, not time out")
        await nc.close()
    }

    @Test func requestTimesOutWhenTheResponderIsSilent() async throws {
        let server = try await TestServer.start()
        defer { server.stop() }
        let nc = try await NATSConnection.connect(NATSOptions(servers: [server.url]))
        let silent = try nc.subscribe(to: "silent")
        try await nc.flush()
        await #expect {
            _ = try await nc.request("x", to: "silent", timeout: .milliseconds(200))
        } throws: { ($0 as? NATSError)?.code == .timeout }
        try silent.unsubscribe()
        await nc.close()
    }

    @Test func queueGroupDeliversEachMessageOnce() async throws {
        let server = try await TestServer.start()
        defer { server.stop() }
        let nc = try await NATSConnection.connect(NATSOptions(servers: [server.url]))
        let counter = Counter()
        for _ in 0..<3 {
            try nc.subscribe(to: "work", queue: "workers") { _ in counter.increment() }
        }
        try await nc.flush()
        for index in 0..<300 { try await nc.publish("\(index)", to: "work") }
        try await nc.flush()
        try await poll("300 messages delivered") { counter.value >= 300 }
        try await Task.sleep(for: .milliseconds(100))
        #expect(counter.value == 300)
        await nc.close()
    }

    @Test func autoUnsubscribeAfterN() async throws {
        let server = try await TestServer.start()
        defer { server.stop() }
        let nc = try await NATSConnection.connect(NATSOptions(servers: [server.url]))
        let sub = try nc.subscribe(to: "n")
        try sub.unsubscribe(after: 3)
        for index in 0..<10 { try await nc.publish("\(index)", to: "n") }
        var received: [String] = []
        for await message in sub { received.append(message.string) }
        #expect(received == ["0", "1", "2"])
        await nc.close()
    }

    @Test func maxPayloadIsEnforcedClientSide() async throws {
        let server = try await TestServer.start(extraConfig: "max_payload: 1024")
        defer { server.stop() }
        let nc = try await NATSConnection.connect(NATSOptions(servers: [server.url]))
        #expect(nc.maxPayload == 1024)
        await #expect {
            try await nc.publish([UInt8](repeating: 1, count: 2000), to: "big")
        } throws: { ($0 as? NATSError)?.code == .maxPayloadExceeded }
        try await nc.publish([UInt8](repeating: 1, count: 1000), to: "fits")
        try await nc.flush()
        #expect(nc.isConnected)
        await nc.close()
    }

    @Test func invalidSubjectsAreRejected() async throws {
        let server = try await TestServer.start()
        defer { server.stop() }
        let nc = try await NATSConnection.connect(NATSOptions(servers: [server.url]))
        await #expect { try await nc.publish("x", to: "a.*") } throws: { ($0 as? NATSError)?.code == .invalidSubject }
        #expect { _ = try nc.subscribe(to: "a..b") } throws: { ($0 as? NATSError)?.code == .invalidSubject }
        await nc.close()
    }

    @Test func drainDeliversWhatWasReceivedThenCloses() async throws {
        let server = try await TestServer.start()
        defer { server.stop() }
        let nc = try await NATSConnection.connect(NATSOptions(servers: [server.url]))
        let events = nc.events()
        let sub = try nc.subscribe(to: "d")
        for index in 0..<100 { try await nc.publish("\(index)", to: "d") }
        try await nc.flush()
        await nc.drain()
        var count = 0
        for await _ in sub { count += 1 }
        #expect(count == 100)
        #expect(nc.isClosed)
        await #expect { try await nc.publish("late", to: "d") } throws: { ($0 as? NATSError)?.code == .connectionClosed }
        var sawClosed = false
        for await event in events { if case .closed = event { sawClosed = true } }
        #expect(sawClosed)
    }

    @Test func connectFailsClearlyWhenNothingListens() async throws {
        let (port, held) = try TestServer.refusingPort()
        defer { close(held) }
        await #expect {
            _ = try await NATSConnection.connect(NATSOptions(servers: ["nats://127.0.0.1:\(port)"]))
        } throws: { ($0 as? NATSError)?.code == .noServers }
        #expect { _ = try ServerURLCheck.parse("http://x") } throws: { ($0 as? NATSError)?.code == .invalidURL }
    }
}

/// A thread-safe counter for callbacks.
final class Counter: @unchecked Sendable {
    private let lock = NSLock()
    private var count = 0
    func increment() { lock.withLock { count += 1 } }
    var value: Int { lock.withLock { count } }
}

/// Polls `condition` until it holds or `timeout` passes.
func poll(_ what: String, timeout: Duration = .seconds(10), _ condition: () async throws -> Bool) async throws {
    let clock = ContinuousClock()
    let deadline = clock.now + timeout
    while clock.now < deadline {
        if try await condition() { return }
        try await Task.sleep(for: .milliseconds(10))
    }
    Issue.record("timed out waiting for: \(what)")
    throw CancellationError()
}

/// Parses a URL the way `connect` does, for error tests.
enum ServerURLCheck {
    static func parse(_ text: String) throws {
        _ = try NATSConnection.validate(url: text)
    }
}
