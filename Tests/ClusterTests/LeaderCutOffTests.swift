import Cluster
import Election
import Foundation
import NATSClient
import NATSTestSupport
import Testing

/// The leader loses NATS while the followers still reach it: the leader's connection goes through a
/// ``TCPProxy`` that is partitioned (a silent network, no FIN, no RST), the followers connect directly.
///
/// The leader's client pings less often than the TTL, so it cannot notice the silence in time: only its
/// self-fencing deadline (`last renewal sent + TTL − margin`) can demote it before the lease expires on the
/// server and a follower takes over. The tests assert that order, the higher epoch, and that after the heal
/// the old leader rejoins as a follower with exactly one leader in the cluster.
@Suite("Leader cut off from NATS", .enabled(if: NATSServer.isAvailable), .timeLimit(.minutes(2)), .serialized)
struct LeaderCutOffTests {
    /// Longer than the TTL: the leader's client would notice the partition only after several TTLs.
    static let leaderPingInterval: Duration = .seconds(10)

    @Test func inProcessLeaderDemotesBeforeAnyFollowerLeads() async throws {
        let server = try await NATSServer.launch()
        let proxy = try TCPProxy(upstreamPort: server.port)
        var trio = NodeTrio(server: server, clusterId: "c\(UInt32.random(in: 0...UInt32.max))")
        do {
            // n1 alone first, through the proxy, so that it is the leader.
            var options = NATSOptions(
                servers: [proxy.url], pingInterval: Self.leaderPingInterval, maxPingsOutstanding: 2,
                connectTimeout: .seconds(1), reconnectWait: .milliseconds(200), maxReconnects: -1)
            options.retainServerOrder = true
            let connection = try await NATSConnection.connect(options)
            let hooks = NodeHookRecorder()
            let node = try Node(
                options: NodeOptions(
                    clusterId: trio.clusterId,
                    election: ElectionConfig(nodeId: "n1", leaseTTL: NodeTrio.ttl, heartbeatInterval: NodeTrio.heartbeat)),
                hooks: hooks)
            trio.nodes.append(node)
            trio.hooks.append(hooks)
            trio.connections.append(connection)
            try await node.start(connection: connection)
            try await trio.waitForAgreedLeader()
            try await trio.add("n2")
            try await trio.add("n3")
            let (leader, oldEpoch) = try await trio.waitForAgreedLeader()
            try #require(leader == 0, "n1 (behind the proxy) must lead")

            let cut = ContinuousClock.now
            try await offThread { proxy.partition() }
            let (new, newEpoch) = try await trio.waitForAgreedLeader(among: [1, 2], timeout: .seconds(10))
            #expect(newEpoch > oldEpoch)
            let lost = try #require(hooks.last { $0 == .lostLeadership }, "the cut-off leader never demoted")
            let became = try await trio.hooks[new].awaitCall { $0 == .becameLeader(newEpoch) }
            #expect(lost < became, "the old leader must demote before a follower leads")
            for follower in [1, 2] {
                let takeover = trio.hooks[follower].last { if case .becameLeader = $0 { true } else { false } }
                #expect(takeover.map { $0 > lost } ?? true, "n\(follower + 1) led before the old leader demoted")
            }
            #expect(lost - cut < NodeTrio.ttl, "the self-fencing deadline lies within a TTL of the cut")
            #expect(hooks.last { $0 == .disconnected } == nil, "the client must not have noticed: only the deadline fenced")
            #expect(await node.isLeader == false)
            print("cut-off leader (in process): partition -> demoted \(lost - cut), follower leads \(became - cut)")

            try await offThread { proxy.heal() }
            let deadline = ContinuousClock.now + .seconds(15)
            while ContinuousClock.now < deadline {
                let (seen, connected) = (await node.leader, await node.connected)
                if seen == "n\(new + 1)" && connected { break }
                try await Task.sleep(for: .milliseconds(20))
            }
            let (after, afterEpoch) = try await trio.waitForAgreedLeader(timeout: .seconds(10))
            #expect(after == new && afterEpoch == newEpoch, "the old leader must rejoin as a follower")
            #expect(await node.connected)
            #expect(await node.role == .passive)
            #expect(await trio.leaders() == [new])
        } catch {
            try? await offThread { proxy.stop() }
            await trio.shutdown()
            throw error
        }
        try await offThread { proxy.stop() }
        await trio.shutdown()
    }

    @Test func leaderProcessDemotesBeforeAnyFollowerProcessLeads() async throws {
        let cluster = try await ProcessCluster.make()
        let server = cluster.server
        let proxy: TCPProxy
        do {
            proxy = try TCPProxy(upstreamPort: server.port)
        } catch {
            await cluster.shutdown()
            throw error
        }
        let ids = ["n1", "n2", "n3"]
        defer { proxy.stop() }  // already stopped below unless the body threw; then it takes milliseconds
        try await cluster.run { c in
            let leaderProcess = try await c.start(
                "n1", servers: [proxy.url], pingIntervalMs: Int(Self.leaderPingInterval.components.seconds) * 1000)
            try await c.waitForAgreedLeader(among: ["n1"])
            try await c.start("n2")
            try await c.start("n3")
            let (leader, oldEpoch) = try await c.waitForAgreedLeader(among: ids)
            try #require(leader == "n1", "n1 (behind the proxy) must lead")

            let cut = monotonicNow()
            try await offThread { proxy.partition() }
            let (new, newEpoch) = try await c.waitForAgreedLeader(among: ["n2", "n3"])
            #expect(newEpoch > oldEpoch)
            let lost = try await leaderProcess.waitFor("lostLeadership") { $0.event == "lostLeadership" }
            let became = try await c.nodes[new]!.waitFor("becameLeader") { $0.epoch == newEpoch && $0.event == "becameLeader" }
            #expect(lost.monoNs < became.monoNs, "the old leader must demote before a follower leads")
            for follower in ["n2", "n3"] {
                for takeover in c.nodes[follower]!.events("becameLeader") {
                    #expect(takeover.monoNs > lost.monoNs, "\(follower) led before the old leader demoted")
                }
            }
            #expect(monoDuration(from: cut, to: lost.monoNs) < ProcessCluster.ttl)
            #expect(leaderProcess.events("disconnected").isEmpty, "only the deadline may have fenced the leader")
            print("cut-off leader (processes): partition -> demoted \(monoDuration(from: cut, to: lost.monoNs)), "
                + "follower leads \(monoDuration(from: cut, to: became.monoNs))")

            try await offThread { proxy.heal() }
            _ = try await leaderProcess.waitFor(timeout: .seconds(15), "reconnected") { $0.event == "reconnected" }
            let deadline = ContinuousClock.now + .seconds(10)
            while await c.status("n1")?.leader != new, ContinuousClock.now < deadline {
                try await Task.sleep(for: .milliseconds(25))
            }
            let (after, afterEpoch) = try await c.waitForAgreedLeader(among: ids)
            #expect(after == new && afterEpoch == newEpoch, "the old leader must rejoin as a follower")
            let status = try #require(await c.status("n1"))
            #expect(status.role == "PASSIVE" && status.connected)
            #expect(leaderProcess.events("becameLeader").allSatisfy { $0.monoNs < cut })
            try await offThread { proxy.stop() }
        }
    }
}
