import Glibc
import NIOCore
import Prometheus
import Testing

@testable import ClusterMetrics

@Suite("MetricsServer")
struct MetricsServerTests {
    @Test("GET /metrics answers the agent's metrics in the text format")
    func scrape() async throws {
        let metrics = AgentMetrics()
        metrics.setRole(leader: true)
        metrics.setEpoch(42)
        metrics.recordLeaderChange()
        metrics.recordLeaderChange()
        metrics.recordRenewalLatency(.microseconds(400))
        metrics.recordRenewalLatency(.milliseconds(30))
        metrics.setVIPsHeld(2)
        metrics.setHealthCheck("ping", healthy: false)
        metrics.setHealthCheck("disk", healthy: true)
        metrics.setNATSConnected(true)
        metrics.setEligible(true)
        let server = try await MetricsServer.start(host: "127.0.0.1", port: 0, registry: metrics.registry)
        let port = try #require(server.localAddress.port)
        #expect(port > 0)

        let text = try await rawExchange(
            port: port,
            request: "GET /metrics HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n"
        )
        let response = try #require(Response.parseAll(text).first)
        try await server.stop()

        #expect(response.status == 200)
        #expect(response.headers["content-type"] == "text/plain; version=0.0.4; charset=utf-8")
        let lines = Set(response.body.split(separator: "\n").map(String.init))
        for expected in [
            "# TYPE swift_cluster_leader gauge", "swift_cluster_leader 1.0", "swift_cluster_epoch 42.0",
            "# TYPE swift_cluster_leader_changes_total counter", "swift_cluster_leader_changes_total 2",
            "# TYPE swift_cluster_lease_renewal_seconds histogram",
            #"swift_cluster_lease_renewal_seconds_bucket{le="0.0001"} 0"#,
            #"swift_cluster_lease_renewal_seconds_bucket{le="0.0005"} 1"#,
            #"swift_cluster_lease_renewal_seconds_bucket{le="0.05"} 2"#,
            #"swift_cluster_lease_renewal_seconds_bucket{le="+Inf"} 2"#,
            "swift_cluster_lease_renewal_seconds_count 2", "swift_cluster_vips_held 2.0",
            #"swift_cluster_health_check_healthy{check="ping"} 0.0"#,
            #"swift_cluster_health_check_healthy{check="disk"} 1.0"#,
            "swift_cluster_nats_connected 1.0", "swift_cluster_eligible 1.0",
        ] {
            #expect(lines.contains(expected), "missing line: \(expected)")
        }
        #expect(response.body.contains("# HELP swift_cluster_leader 1 while this node is the leader"))
    }

    @Test("other paths are 404, other methods 405; keep-alive serves several requests on one connection")
    func statusCodes() async throws {
        let server = try await MetricsServer.start(host: "127.0.0.1", port: 0, registry: AgentMetrics().registry)
        let port = try #require(server.localAddress.port)
        let text = try await rawExchange(
            port: port,
            request: """
                GET / HTTP/1.1\r\nHost: x\r\n\r\n\
                POST /metrics HTTP/1.1\r\nHost: x\r\nContent-Length: 2\r\n\r\nhi\
                GET /metrics?x=1 HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n
                """
        )
        try await server.stop()
        let responses = Response.parseAll(text)
        #expect(responses.map(\.status) == [404, 405, 200])
        #expect(responses.dropFirst().first?.headers["allow"] == "GET")
        #expect(responses.last?.body.contains("swift_cluster_leader 0.0") == true)
    }

    @Test(
        "only loopback addresses are accepted, and the refusal names the address",
        arguments: ["0.0.0.0", "192.0.2.1", "10.1.2.3", "::", "::ffff:127.0.0.1", "2001:db8::1", "localhost", ""]
    )
    func nonLoopbackRefused(host: String) async {
        do {
            let server = try await MetricsServer.start(host: host, port: 0, registry: AgentMetrics().registry)
            try? await server.stop()
            Issue.record("bound \(host)")
        } catch let error as MetricsServerError {
            #expect(error.description.contains("metrics host '\(host)'"))
        } catch {
            Issue.record("unexpected error \(error)")
        }
    }

    @Test("serves on ::1 too", .enabled(if: ipv6LoopbackConfigured()))
    func ipv6Loopback() async throws {
        let server = try await MetricsServer.start(host: "::1", port: 0, registry: AgentMetrics().registry)
        let port = try #require(server.localAddress.port)
        let text = try await rawExchange(
            port: port,
            host: "::1",
            request: "GET /metrics HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n"
        )
        try await server.stop()
        #expect(Response.parseAll(text).first?.status == 200)
    }

    @Test("loopback addresses are accepted: all of 127.0.0.0/8 and ::1")
    func loopbackAccepted() throws {
        for host in ["127.0.0.1", "127.255.0.9", "::1"] {
            let address = try MetricsServer.loopbackAddress(host: host, port: 9100)
            #expect(address.port == 9100)
        }
        #expect(throws: MetricsServerError.badPort(70000)) {
            try MetricsServer.loopbackAddress(host: "::1", port: 70000)
        }
    }
}

/// Whether `lo` has ::1 (`/proc/net/if_inet6`); containers without IPv6 skip the ::1 test.
func ipv6LoopbackConfigured() -> Bool {
    guard let handle = fopen("/proc/net/if_inet6", "r") else { return false }
    defer { fclose(handle) }
    var line = [CChar](repeating: 0, count: 256)
    while fgets(&line, Int32(line.count), handle) != nil {
        if line.withUnsafeBufferPointer({ String(cString: $0.baseAddress!) }).hasPrefix(
            String(repeating: "0", count: 31) + "1"
        ) {
            return true
        }
    }
    return false
}
