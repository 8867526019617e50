import Foundation
import NATSTestSupport
import Testing

#if canImport(Glibc)
    import Glibc
#endif

/// The `election-node` helper itself: bad configurations exit 78 naming the problem; SIGINT leaves gracefully.
@Suite("election-node command", .timeLimit(.minutes(1)))
struct ElectionNodeCommandTests {
    /// Runs the helper on a configuration text; returns its exit status, stderr and stdout events.
    func runToExit(_ json: String) async throws -> (status: Int32?, stderr: String, events: [NodeEvent]) {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("en-\(UUID().uuidString)").path
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: directory) }
        try json.write(toFile: "\(directory)/config.json", atomically: true, encoding: .utf8)
        let process = try NodeProcess(nodeId: "n1", configPath: "\(directory)/config.json", directory: directory, index: 0)
        guard await process.waitForExit(timeout: .seconds(10)) else {
            await process.kill9()
            throw NodeTestFailure("election-node did not exit on a bad configuration")
        }
        return (process.exitStatus, process.stderrTail, process.events)
    }

    @Test(arguments: [
        (#"{"clusterId": "c", "nodeId": "n1", "nats": {"servers": ["nats://127.0.0.1:1"]}, "elektion": {}}"#, "elektion"),
        (#"{"clusterId": "c", "nodeId": "n1"}"#, "nats.servers"),
        (#"{"clusterId": "c", "nodeId": "n1", "nats": {"servers": ["nats://127.0.0.1:1"]}, "#
            + #""election": {"leaseTtlMs": 1000, "heartbeatIntervalMs": 900}}"#, "election.heartbeatIntervalMs"),
        (#"{"clusterId": "c", "nodeId": "n1", "nats": {"servers": ["nats://127.0.0.1:1"], "pingIntervalMs": "x"}}"#,
         "nats.pingIntervalMs"),
        ("not json", "JSON"),
    ])
    func badConfigurationExits78NamingTheProblem(json: String, named: String) async throws {
        let (status, stderr, events) = try await runToExit(json)
        #expect(status == 78, "stderr: \(stderr)")
        #expect(stderr.contains(named), "stderr must name \(named): \(stderr)")
        #expect(events.isEmpty)
    }

    @Test(.enabled(if: NATSServer.isAvailable))
    func sigintStopsTheNodeGracefully() async throws {
        let cluster = try await ProcessCluster.make()
        try await cluster.run { c in
            let node = try await c.start("n1")
            _ = try await node.waitFor("becameLeader") { $0.event == "becameLeader" }
            node.send(SIGINT)
            #expect(await node.waitForExit())
            #expect(node.exitStatus == 0)
            let stopped = try await node.waitFor("stopped") { $0.event == "stopped" }
            #expect(stopped.wasLeader == true)
            let names = node.events.map(\.event)
            #expect(names.last == "stopped")
            let became = try #require(names.firstIndex(of: "becameLeader"))
            #expect(names[became...].contains("lostLeadership"), "events \(names)")
            // The lease was released, not left to expire.
            #expect(try await c.bucket().get("leader", consistent: true)?.operation != .put)
        }
    }
}
