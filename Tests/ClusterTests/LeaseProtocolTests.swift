import Cluster
import Election
import Foundation
import JetStream
import NATSClient
import NATSTestSupport
import Testing

/// What the nodes write to the bucket, and how they treat writes that are not theirs.
@Suite("Lease protocol on a real NATS server", .enabled(if: NATSServer.isAvailable), .timeLimit(.minutes(2)), .serialized)
struct LeaseProtocolTests {
    func bucket(_ trio: NodeTrio) async throws -> (KeyValue, NATSConnection) {
        let connection = try await NodeTrio.connect(trio.server.url)
        let kv = try await JetStreamContext(connection: connection).keyValue("KV_CLUSTER_\(trio.clusterId)")
        return (kv, connection)
    }

    @Test func theLeaseIsTheSeedsJSONInABucketAgedByTheTTLAndRenewedByCASEveryHeartbeat() async throws {
        let trio = try await NodeTrio.make()
        try await trio.run { trio in
            let (leader, epoch) = try await trio.waitForAgreedLeader()
            let (kv, connection) = try await bucket(trio)
            defer { Task { await connection.close() } }
            let info = try await kv.streamInfo()
            #expect(info.config.maxAge == Int64(NodeTrio.ttl.components.seconds) * 1_000_000_000
                + NodeTrio.ttl.components.attoseconds / 1_000_000_000)
            let first = try #require(try await kv.get("leader"))
            let object = try #require(try JSONSerialization.jsonObject(with: Data(first.value)) as? [String: Any])
            #expect(Set(object.keys) == ["node_id", "epoch", "acquired_at"])
            #expect(object["node_id"] as? String == "n\(leader + 1)")
            #expect((object["epoch"] as? NSNumber)?.uint64Value == epoch)
            let stamp = try #require(object["acquired_at"] as? String)
            let rfc3339 = ISO8601DateFormatter()
            rfc3339.formatOptions = [.withInternetDateTime, .withFractionalSeconds]
            #expect(rfc3339.date(from: stamp) ?? ISO8601DateFormatter().date(from: stamp) != nil, "acquired_at \(stamp)")
            // Renewals: new revisions every heartbeat, same node, same epoch, same acquired_at.
            var revisions: Set<UInt64> = [first.revision]
            let until = ContinuousClock.now + NodeTrio.heartbeat * 4 + .milliseconds(150)
            while ContinuousClock.now < until {
                let entry = try #require(try await kv.get("leader"))
                #expect(entry.value == first.value, "a renewal rewrites the same record")
                revisions.insert(entry.revision)
                try await Task.sleep(for: .milliseconds(20))
            }
            #expect(revisions.count >= 4, "renewed \(revisions.count - 1) times in four heartbeats")
            #expect(await trio.nodes[leader].epoch == epoch)
        }
    }

    @Test func aForeignWriteDemotesTheLeaderAtOnceAndIsRespectedUntilItExpires() async throws {
        let trio = try await NodeTrio.make()
        try await trio.run { trio in
            let (leader, epoch) = try await trio.waitForAgreedLeader()
            let (kv, connection) = try await bucket(trio)
            defer { Task { await connection.close() } }
            // Another writer (an old go-cluster node, an operator) takes the key with a well-formed lease.
            let current = try #require(try await kv.get("leader"))
            let ghost = LeaseRecord(nodeId: "ghost", epoch: current.revision + 1)
            let written = ContinuousClock.now
            _ = try await kv.update("leader", ByteBuffer(bytes: ghost.encoded(stampingWith: "2026-11-28T00:00:00Z")),
                revision: current.revision)
            let lost = try await waitFor(.seconds(1)) { trio.hooks[leader].last { $0 == .lostLeadership } }
            print("foreign write -> leader demoted after \(lost - written)")
            #expect(lost - written < NodeTrio.heartbeat, "the leader must demote at once, not at its next renewal")
            // Every node learns of the ghost from its watch, each at its own pace.
            let deadline = ContinuousClock.now + .seconds(1)
            for node in trio.nodes {
                while await node.leader != "ghost", ContinuousClock.now < deadline {
                    try await Task.sleep(for: .milliseconds(5))
                }
                #expect(await node.leader == "ghost")
                #expect(await node.isLeader == false)
            }
            // Nobody touches the ghost's lease; after it expires a node leads with a higher epoch.
            let (_, newEpoch) = try await trio.waitForAgreedLeader(timeout: .seconds(10))
            #expect(newEpoch > ghost.epoch && newEpoch > epoch)
            #expect(ContinuousClock.now - written > NodeTrio.ttl - .milliseconds(100), "the ghost's lease was cut short")
        }
    }

    @Test func aForgedEpochIsGarbageAndNeverReported() async throws {
        let trio = try await NodeTrio.make()
        try await trio.run { trio in
            let (leader, epoch) = try await trio.waitForAgreedLeader()
            let (kv, connection) = try await bucket(trio)
            defer { Task { await connection.close() } }
            // A lease naming the leader itself with an epoch far above any revision: no honest writer makes one.
            let forged = LeaseRecord(nodeId: "n\(leader + 1)", epoch: 1_000_000)
            _ = try await kv.put("leader", ByteBuffer(bytes: forged.encoded(stampingWith: "2026-11-28T00:00:00Z")))
            _ = try await waitFor(.seconds(1)) { trio.hooks[leader].last { $0 == .lostLeadership } }
            let (_, newEpoch) = try await trio.waitForAgreedLeader(timeout: .seconds(10))
            #expect(newEpoch > epoch && newEpoch < 1_000_000, "the forged epoch was built upon: \(newEpoch)")
            for hooks in trio.hooks {
                #expect(!hooks.all.contains { if case .leaderChanged(_, 1_000_000) = $0 { true } else { false } })
            }
        }
    }

    func waitFor<T>(_ timeout: Duration, _ probe: () -> T?) async throws -> T {
        let deadline = ContinuousClock.now + timeout
        while ContinuousClock.now < deadline {
            if let value = probe() { return value }
            try await Task.sleep(for: .milliseconds(5))
        }
        throw NodeTestFailure("nothing happened within \(timeout)")
    }
}
