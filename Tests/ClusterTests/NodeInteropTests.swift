import Cluster
import Foundation
import NATSTestSupport
import Testing

/// Runs a script from `Tests/Interop` (see `InteropPython`).
private func runInteropScript(_ script: String, _ arguments: [String]) async throws -> (status: Int32, output: String) {
    try await InteropPython.run(script, arguments)
}

/// nats-py (the reference Python client) drives three in-process nodes through their micro service.
@Suite("Node service driven by nats-py", .enabled(if: NATSServer.isAvailable), .timeLimit(.minutes(2)), .serialized)
struct NodeInteropTests {
    @Test func natsPyReadsStatusAndPingAndStepsTheLeaderDown() async throws {
        let trio = try await NodeTrio.make()
        try await trio.run { trio in
            let (leader, epoch) = try await trio.waitForAgreedLeader()
            let (status, output) = try await runInteropScript(
                "cluster_control.py", [trio.server.url, trio.clusterId, "n1", "n2", "n3"])
            try #require(status == 0, "cluster_control.py exited \(status):\n\(output)")
            let last = output.split(separator: "\n").last.map(String.init) ?? ""
            let summary = try #require(
                try JSONSerialization.jsonObject(with: Data(last.utf8)) as? [String: Any], "unexpected output: \(output)")
            #expect(summary["leader"] as? String == "n\(leader + 1)")
            #expect((summary["epoch"] as? NSNumber)?.uint64Value == epoch)
            let newLeader = try #require(summary["new_leader"] as? String)
            let newEpoch = try #require((summary["new_epoch"] as? NSNumber)?.uint64Value)
            #expect(newLeader != "n\(leader + 1)" && newEpoch > epoch)
            // The Swift side agrees with what nats-py saw.
            let (now, nowEpoch) = try await trio.waitForAgreedLeader()
            #expect("n\(now + 1)" == newLeader && nowEpoch == newEpoch)
            #expect(trio.hooks[leader].all.contains(.lostLeadership))
            print("nats-py: \(last)")
        }
    }
}
