import Cluster
import Foundation
import JetStream
import NATSClient
import NATSTestSupport
import Testing

#if canImport(Glibc)
    import Glibc
#endif

/// The election with every node in its own `election-node` process on one real nats-server: leaders are
/// found through each process's status endpoint over NATS, hook timings through the processes' `mono_ns` lines.
@Suite("Nodes as separate processes", .enabled(if: NATSServer.isAvailable), .timeLimit(.minutes(2)), .serialized)
struct NodeProcessTests {
    static let ids = ["n1", "n2", "n3"]
    static let ttl = ProcessCluster.ttl

    /// A cluster of the three processes, `body`, then clean-up.
    func withCluster(_ body: (ProcessCluster) async throws -> Void) async throws {
        let cluster = try await ProcessCluster.make()
        try await cluster.run { cluster in
            for id in Self.ids { try await cluster.start(id) }
            try await body(cluster)
        }
    }

    @Test func firstElectionHasExactlyOneLeaderAndAllAgree() async throws {
        try await withCluster { c in
            let (leader, epoch) = try await c.waitForAgreedLeader(among: Self.ids)
            #expect(epoch > 0)
            _ = try await c.nodes[leader]!.waitFor("becameLeader") { $0.event == "becameLeader" && $0.epoch == epoch }
            for id in Self.ids where id != leader {
                let process = c.nodes[id]!
                _ = try await process.waitFor("leaderChanged") { $0.event == "leaderChanged" && $0.leader == leader }
                #expect(process.events("becameLeader").isEmpty, "\(id) also became leader: \(process.events)")
            }
            // Still the same leader and epoch several heartbeats later.
            try await Task.sleep(for: .seconds(1))
            let again = try await c.waitForAgreedLeader(among: Self.ids, timeout: .seconds(2))
            #expect(again.leader == leader && again.epoch == epoch)
        }
    }

    @Test func stepdownOverNATSMovesLeadershipAndTheNodeStaysOutDuringItsCooldown() async throws {
        try await withCluster { c in
            let (first, epoch1) = try await c.waitForAgreedLeader(among: Self.ids)
            let asked = monotonicNow()
            #expect(try await c.control(first, "stepdown").ok)
            let (second, epoch2) = try await c.waitForAgreedLeader(among: Self.ids, excluding: first)
            #expect(epoch2 > epoch1)
            let lost = try await c.nodes[first]!.waitFor("lostLeadership") { $0.event == "lostLeadership" }
            let became = try await c.nodes[second]!.waitFor("becameLeader") { $0.epoch == epoch2 && $0.event == "becameLeader" }
            #expect(lost.monoNs < became.monoNs, "the old leader must demote before the new one leads")
            #expect(monoDuration(from: asked, to: became.monoNs) < Self.ttl / 2, "a stepdown must not wait for the TTL")
            // Still inside the first node's cooldown: step the second down too; the third must lead, not the first.
            #expect(try await c.control(second, "stepdown").ok)
            let (third, epoch3) = try await c.waitForAgreedLeader(among: Self.ids, excluding: second)
            #expect(third != first, "\(first) retook the lease during its cooldown")
            #expect(epoch3 > epoch2)
            let thirdBecame = try await c.nodes[third]!.waitFor("becameLeader") { $0.epoch == epoch3 && $0.event == "becameLeader" }
            #expect(monoDuration(from: asked, to: thirdBecame.monoNs) < Self.ttl, "the check must fall inside the cooldown")
            #expect(c.nodes[first]!.events("becameLeader").allSatisfy { $0.monoNs < asked })
        }
    }

    @Test func sigkilledLeaderIsReplacedAfterItsLeaseExpires() async throws {
        try await withCluster { c in
            let (old, epoch1) = try await c.waitForAgreedLeader(among: Self.ids)
            let observer = try await LeaseObserver.start(try await c.bucket())
            defer { Task { await observer.stop() } }
            // Kill right after the observer saw a renewal live (not the value the watch starts with).
            let deadline = ContinuousClock.now + .seconds(3)
            while observer.all.filter({ $0.record?.nodeId == old }).count < 2, ContinuousClock.now < deadline {
                try await Task.sleep(for: .milliseconds(5))
            }
            c.nodes[old]!.send(SIGKILL)
            #expect(await c.nodes[old]!.waitForExit())
            #expect(c.nodes[old]!.exitStatus == SIGKILL)
            let others = Self.ids.filter { $0 != old }
            let (new, epoch2) = try await c.waitForAgreedLeader(among: others)
            #expect(epoch2 > epoch1)
            let became = try await c.nodes[new]!.waitFor("becameLeader") { $0.epoch == epoch2 && $0.event == "becameLeader" }
            let renewal = try #require(observer.lastWrite(by: old), "never saw the old leader's lease")
            // The server's store times of the old leader's last renewal and the new leader's acquisition.
            let deadline2 = ContinuousClock.now + .seconds(2)
            while observer.firstWrite(by: new, epoch: epoch2) == nil, ContinuousClock.now < deadline2 {
                try await Task.sleep(for: .milliseconds(10))
            }
            let acquired = try #require(observer.firstWrite(by: new, epoch: epoch2), "never saw the new lease")
            let stored = acquired.created.timeIntervalSince(renewal.created)
            let gap = monoDuration(from: renewal.monoNs, to: became.monoNs)
            print("SIGKILL failover: old leader's last renewal -> new lease stored \(stored) s later (server clock), "
                + "new leader's becameLeader \(gap) after the test saw that renewal (TTL \(Self.ttl))")
            #expect(stored >= Double(ProcessCluster.ttlMs) / 1000 - 0.01, "a follower took over before the lease could expire")
            #expect(gap >= Self.ttl - .milliseconds(150), "a follower took over before the lease could expire")
            #expect(gap < Self.ttl + .seconds(1))
        }
    }

    @Test func sigtermedLeaderHandsOverGracefullyAndQuickly() async throws {
        try await withCluster { c in
            let (old, epoch1) = try await c.waitForAgreedLeader(among: Self.ids)
            let sent = monotonicNow()
            c.nodes[old]!.send(SIGTERM)
            let others = Self.ids.filter { $0 != old }
            let (new, epoch2) = try await c.waitForAgreedLeader(among: others)
            #expect(epoch2 > epoch1)
            #expect(await c.nodes[old]!.waitForExit())
            #expect(c.nodes[old]!.exitStatus == 0)
            let stopped = try await c.nodes[old]!.waitFor("stopped") { $0.event == "stopped" }
            #expect(stopped.wasLeader == true)
            let lost = try await c.nodes[old]!.waitFor("lostLeadership") { $0.event == "lostLeadership" }
            let became = try await c.nodes[new]!.waitFor("becameLeader") { $0.epoch == epoch2 && $0.event == "becameLeader" }
            #expect(lost.monoNs < became.monoNs)
            let handover = monoDuration(from: sent, to: became.monoNs)
            print("SIGTERM handover: signal -> new leader's becameLeader \(handover) (TTL \(Self.ttl))")
            #expect(handover < Self.ttl / 3, "a graceful stop must not wait for the lease to expire")
        }
    }

    @Test func leaseExpiredAndEveryProcessRestartedKeepsTheEpochGrowing() async throws {
        try await withCluster { c in
            let (_, epoch1) = try await c.waitForAgreedLeader(among: Self.ids)
            for id in Self.ids { await c.nodes[id]!.kill9() }
            let bucket = try await c.bucket()
            let deadline = ContinuousClock.now + Self.ttl + .seconds(5)
            while try await bucket.get(ClusterConfig.leaderKey, consistent: true) != nil {
                guard ContinuousClock.now < deadline else { throw NodeTestFailure("the lease never expired") }
                try await Task.sleep(for: .milliseconds(50))
            }
            for id in Self.ids { try await c.start(id) }
            let (_, epoch2) = try await c.waitForAgreedLeader(among: Self.ids)
            #expect(epoch2 > epoch1, "epoch \(epoch2) after the restart must exceed \(epoch1)")
        }
    }

    @Test func serverKilledAndRestartedElectsAgainWithAHigherEpoch() async throws {
        try await withCluster { c in
            let (old, epoch1) = try await c.waitForAgreedLeader(among: Self.ids)
            let server = c.server
            try await offThread { server.kill() }
            let killed = monotonicNow()
            let lost = try await c.nodes[old]!.waitFor(timeout: Self.ttl + .seconds(2), "lostLeadership") {
                $0.event == "lostLeadership"
            }
            #expect(monoDuration(from: killed, to: lost.monoNs) < Self.ttl, "the leader must fence itself within the TTL")
            try await offThread { try server.start() }
            let (_, epoch2) = try await c.waitForAgreedLeader(among: Self.ids, timeout: .seconds(20))
            #expect(epoch2 > epoch1)
            for id in Self.ids { #expect(c.nodes[id]!.isRunning) }
        }
    }

    @Test func garbageInTheLeaseKeyIsSurvived() async throws {
        try await withCluster { c in
            let (old, epoch1) = try await c.waitForAgreedLeader(among: Self.ids)
            let bucket = try await c.bucket()
            let wrote = monotonicNow()
            _ = try await bucket.put(ClusterConfig.leaderKey, "this is not JSON {")
            _ = try await c.nodes[old]!.waitFor(timeout: .seconds(3), "lostLeadership after the garbage") {
                $0.event == "lostLeadership" && $0.monoNs > wrote
            }
            let (new, epoch2) = try await c.waitForAgreedLeader(among: Self.ids)
            #expect(epoch2 > epoch1)
            _ = try await c.nodes[new]!.waitFor("becameLeader") { $0.epoch == epoch2 && $0.event == "becameLeader" }
            let takeovers = Self.ids.flatMap { c.nodes[$0]!.events("becameLeader") }.filter { $0.monoNs > wrote }
            #expect(!takeovers.isEmpty)
            for became in takeovers {
                #expect(monoDuration(from: wrote, to: became.monoNs) >= Self.ttl - .milliseconds(100),
                        "\(became.node) took over before the foreign value expired")
            }
            for id in Self.ids { #expect(c.nodes[id]!.isRunning, "\(id) died: \(c.nodes[id]!.stderrTail)") }
        }
    }

    @Test func transferOverNATSHandsTheLeaseToTheNamedNode() async throws {
        try await withCluster { c in
            let (old, epoch1) = try await c.waitForAgreedLeader(among: Self.ids)
            let target = Self.ids.first { $0 != old }!
            let reply = try await c.control(old, "transfer", body: #"{"target": "\#(target)"}"#)
            #expect(reply.ok, "transfer refused: \(reply.error ?? "")")
            let (new, epoch2) = try await c.waitForAgreedLeader(among: Self.ids, excluding: old)
            #expect(new == target)
            #expect(epoch2 > epoch1)
            _ = try await c.nodes[target]!.waitFor("becameLeader") { $0.epoch == epoch2 && $0.event == "becameLeader" }
        }
    }
}
