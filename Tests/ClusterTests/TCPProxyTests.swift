import Foundation
import NATSClient
import NATSTestSupport
import Testing

/// The partitioning proxy the cut-off tests rely on: it forwards, then goes silent without closing, then heals.
@Suite("TCPProxy", .enabled(if: NATSServer.isAvailable), .timeLimit(.minutes(1)), .serialized)
struct TCPProxyTests {
    static func connect(_ url: String) async throws -> NATSConnection {
        var options = NATSOptions(
            servers: [url], pingInterval: .seconds(30), maxPingsOutstanding: 2, connectTimeout: .milliseconds(500),
            reconnectWait: .milliseconds(100), maxReconnects: -1)
        options.retainServerOrder = true
        return try await NATSConnection.connect(options)
    }

    @Test func forwardsThenGoesSilentWithoutClosingThenHeals() async throws {
        let server = try await NATSServer.launch()
        let proxy = try TCPProxy(upstreamPort: server.port)
        do {
            let proxied = try await Self.connect(proxy.url)
            try await proxied.flush(timeout: .seconds(2))
            #expect(proxy.acceptedConnections == 1)

            try await offThread { proxy.partition() }
            #expect(proxy.isPartitioned)
            // Silent: a round trip times out, and the client still thinks it is connected (nothing was closed).
            await #expect(throws: (any Error).self) { try await proxied.flush(timeout: .milliseconds(500)) }
            #expect(proxied.isConnected)
            // New connections are black-holed: accepted, never answered.
            await #expect(throws: (any Error).self) {
                var options = NATSOptions(servers: [proxy.url], connectTimeout: .milliseconds(500), maxReconnects: 0)
                options.retainServerOrder = true
                let connection = try await NATSConnection.connect(options)
                await connection.close()
            }

            try await offThread { proxy.heal() }
            // The held connection is closed on heal; the client reconnects through the proxy.
            let deadline = ContinuousClock.now + .seconds(5)
            var flushed = false
            while !flushed, ContinuousClock.now < deadline {
                flushed = (try? await proxied.flush(timeout: .milliseconds(300))) != nil
                if !flushed { try await Task.sleep(for: .milliseconds(50)) }
            }
            #expect(flushed, "no round trip through the healed proxy")
            let fresh = try await Self.connect(proxy.url)
            try await fresh.flush(timeout: .seconds(2))
            await fresh.close()
            await proxied.close()
        } catch {
            try? await offThread { proxy.stop() }
            try? await offThread { server.remove() }
            throw error
        }
        try await offThread { proxy.stop() }
        try await offThread { server.remove() }
    }
}
