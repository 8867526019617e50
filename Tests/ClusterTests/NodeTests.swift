import Cluster
import Election
import Foundation
import JetStream
import NATSClient
import NATSTestSupport
import Synchronization
import Testing

/// Records hook calls with their monotonic time.
final class NodeHookRecorder: ClusterHooks, Sendable {
    enum Call: Sendable, Equatable {
        case becameLeader(UInt64)
        case lostLeadership
        case leaderChanged(String?, UInt64?)
        case reconnected
        case disconnected
    }

    private let calls = Mutex<[(Call, ContinuousClock.Instant)]>([])

    func onBecomeLeader(epoch: UInt64) async throws { record(.becameLeader(epoch)) }
    func onLoseLeadership() async throws { record(.lostLeadership) }
    func onLeaderChange(nodeId: String?, epoch: UInt64?) async throws { record(.leaderChanged(nodeId, epoch)) }
    func onNATSReconnect() async throws { record(.reconnected) }
    func onNATSDisconnect(error: (any Error)?) async throws { record(.disconnected) }

    private func record(_ call: Call) { calls.withLock { $0.append((call, .now)) } }

    var all: [Call] { calls.withLock { $0.map(\.0) } }

    /// When a matching call last happened, waiting for it up to `timeout`: hooks run on the node's own
    /// task, a little after the state that tests poll has changed.
    func awaitCall(
        _ what: String = "the hook was never called", timeout: Duration = .seconds(3), _ matching: (Call) -> Bool
    ) async throws -> ContinuousClock.Instant {
        let deadline = ContinuousClock.now + timeout
        while true {
            if let instant = last(matching) { return instant }
            guard ContinuousClock.now < deadline else { throw NodeTestFailure(what) }
            try await Task.sleep(for: .milliseconds(5))
        }
    }

    /// When `call` last happened.
    func last(_ matching: (Call) -> Bool) -> ContinuousClock.Instant? {
        calls.withLock { $0.last { matching($0.0) }?.1 }
    }
}

struct NodeTestFailure: Error, CustomStringConvertible {
    let description: String
    init(_ description: String) { self.description = description }
}

/// Three nodes of one cluster on one server, each with its own connection and hooks.
struct NodeTrio {
    let server: NATSServer
    let clusterId: String
    var nodes: [Node] = []
    var hooks: [NodeHookRecorder] = []
    var connections: [NATSConnection] = []

    static let ttl: Duration = .milliseconds(1500)
    static let heartbeat: Duration = .milliseconds(300)

    static func make(count: Int = 3) async throws -> NodeTrio {
        let server = try await NATSServer.launch()
        var trio = NodeTrio(server: server, clusterId: "t\(UInt32.random(in: 0...UInt32.max))")
        for index in 0..<count {
            try await trio.add("n\(index + 1)")
        }
        return trio
    }

    mutating func add(_ nodeId: String) async throws {
        let connection = try await Self.connect(server.url)
        let recorder = NodeHookRecorder()
        let options = NodeOptions(
            clusterId: clusterId,
            election: ElectionConfig(nodeId: nodeId, leaseTTL: Self.ttl, heartbeatInterval: Self.heartbeat))
        let node = try Node(options: options, hooks: recorder)
        try await node.start(connection: connection)
        nodes.append(node)
        hooks.append(recorder)
        connections.append(connection)
    }

    static func connect(_ url: String) async throws -> NATSConnection {
        var options = NATSOptions(
            servers: [url], pingInterval: .seconds(1), maxPingsOutstanding: 2, connectTimeout: .seconds(2),
            reconnectWait: .milliseconds(200), maxReconnects: -1)
        options.retainServerOrder = true
        return try await NATSConnection.connect(options)
    }

    func shutdown() async {
        for node in nodes { await node.stop() }
        for connection in connections { await connection.close() }
        // Blocking process waits stay off the cooperative pool.
        let server = self.server
        try? await offThread {
            server.kill()
            server.remove()
        }
    }

    /// Indices of the nodes that act as leader now.
    func leaders() async -> [Int] {
        var result: [Int] = []
        for (index, node) in nodes.enumerated() where await node.isLeader { result.append(index) }
        return result
    }

    /// Waits until exactly one node among `among` leads and every one of them agrees on it and its epoch.
    @discardableResult
    func waitForAgreedLeader(among: [Int]? = nil, timeout: Duration = .seconds(10), excluding: Int? = nil)
        async throws -> (index: Int, epoch: UInt64)
    {
        let members = among ?? Array(nodes.indices)
        let deadline = ContinuousClock.now + timeout
        while ContinuousClock.now < deadline {
            let leading = await leaders().filter { members.contains($0) }
            if leading.count == 1, leading[0] != excluding {
                let index = leading[0]
                let epoch = await nodes[index].epoch
                var agreed = true
                for member in members {
                    let node = nodes[member]
                    let (seen, seenEpoch) = (await node.leader, await node.epoch)
                    if seen != "n\(index + 1)" || seenEpoch != epoch { agreed = false }
                }
                if agreed { return (index, epoch) }
            }
            try await Task.sleep(for: .milliseconds(20))
        }
        throw NodeTestFailure("no agreed leader within \(timeout): leaders \(await leaders())")
    }
}

@Suite("Node on a real NATS server", .enabled(if: NATSServer.isAvailable), .timeLimit(.minutes(2)), .serialized)
struct NodeTests {
    @Test func firstElectionHasExactlyOneLeaderAndAllAgree() async throws {
        let trio = try await NodeTrio.make()
        do {
            let (index, epoch) = try await trio.waitForAgreedLeader()
            #expect(epoch > 0)
            #expect(await trio.nodes[index].role == .primary)
            // Stays stable across several heartbeats.
            try await Task.sleep(for: .seconds(1))
            #expect(await trio.leaders() == [index])
            #expect(await trio.nodes[index].epoch == epoch)
            #expect(trio.hooks[index].all.contains(.becameLeader(epoch)))
            for (other, hooks) in trio.hooks.enumerated() where other != index {
                #expect(!hooks.all.contains { if case .becameLeader = $0 { true } else { false } })
                #expect(hooks.all.contains(.leaderChanged("n\(index + 1)", epoch)))
            }
        } catch {
            await trio.shutdown()
            throw error
        }
        await trio.shutdown()
    }

    @Test func gracefulStepdownMovesLeadershipAndEpochIncreases() async throws {
        let trio = try await NodeTrio.make()
        try await trio.run { trio in
            let (old, oldEpoch) = try await trio.waitForAgreedLeader()
            let asked = ContinuousClock.now
            try await trio.nodes[old].stepDown()
            #expect(await trio.nodes[old].isLeader == false)
            let (new, newEpoch) = try await trio.waitForAgreedLeader(excluding: old)
            #expect(new != old)
            #expect(newEpoch > oldEpoch)
            let became = try await trio.hooks[new].awaitCall { $0 == .becameLeader(newEpoch) }
            let lost = try await trio.hooks[old].awaitCall { $0 == .lostLeadership }
            #expect(lost < became)
            print("graceful handover: stepdown request -> new leader's OnBecomeLeader \(became - asked)")
            #expect(became - asked < NodeTrio.ttl, "handover must not wait for the lease to expire")
            // The stepped-down node stays out while others are alive.
            try await Task.sleep(for: .milliseconds(500))
            #expect(await trio.leaders() == [new])
        }
    }

    @Test func crashedLeaderIsReplacedAfterTheTTLAndDemotedItselfFirst() async throws {
        let trio = try await NodeTrio.make()
        try await trio.run { trio in
            let (old, oldEpoch) = try await trio.waitForAgreedLeader()
            // Cut the leader off abruptly: its connection dies without a stepdown.
            let killed = ContinuousClock.now
            await trio.connections[old].close()
            let others = trio.nodes.indices.filter { $0 != old }
            let (new, newEpoch) = try await trio.waitForAgreedLeader(among: others, timeout: .seconds(10))
            #expect(newEpoch > oldEpoch)
            let became = try await trio.hooks[new].awaitCall { $0 == .becameLeader(newEpoch) }
            let lost = try await trio.hooks[old].awaitCall("the old leader never demoted") { $0 == .lostLeadership }
            #expect(lost < became, "the old leader must demote before a follower acquires")
            #expect(await trio.nodes[old].isLeader == false)
            print("crash failover: connection closed -> new leader after \(became - killed) (TTL \(NodeTrio.ttl)); old leader demoted \(became - lost) before")
            #expect(became - killed < NodeTrio.ttl + .seconds(1))
        }
    }

    @Test func garbageInTheLeaseKeyIsSurvived() async throws {
        let trio = try await NodeTrio.make()
        try await trio.run { trio in
            let (_, oldEpoch) = try await trio.waitForAgreedLeader()
            let js = JetStreamContext(connection: trio.connections[0])
            let kv = try await js.keyValue("KV_CLUSTER_\(trio.clusterId)")
            _ = try await kv.put("leader", "this is not JSON {")
            // Everyone treats it as a foreign lease, waits for it to expire, then elects a new leader.
            try await Task.sleep(for: .milliseconds(200))
            #expect(await trio.leaders().isEmpty, "nobody may act as leader over a foreign lease")
            let (_, newEpoch) = try await trio.waitForAgreedLeader(timeout: .seconds(10))
            #expect(newEpoch > oldEpoch)
            // Wrong types and missing fields too.
            _ = try await kv.put("leader", #"{"node_id": 7, "epoch": "x"}"#)
            try await Task.sleep(for: .milliseconds(200))
            #expect(await trio.leaders().isEmpty, "nobody may act as leader over a foreign lease")
            let (_, thirdEpoch) = try await trio.waitForAgreedLeader(timeout: .seconds(10))
            #expect(thirdEpoch > newEpoch)
        }
    }

    @Test func transferHandsTheLeaseToTheNamedNode() async throws {
        let trio = try await NodeTrio.make()
        try await trio.run { trio in
            let (old, oldEpoch) = try await trio.waitForAgreedLeader()
            let target = (old + 1) % 3
            let asked = ContinuousClock.now
            try await trio.nodes[old].transfer(to: "n\(target + 1)")
            let (new, newEpoch) = try await trio.waitForAgreedLeader(excluding: old)
            #expect(new == target)
            #expect(newEpoch > oldEpoch)
            let became = try await trio.hooks[new].awaitCall { $0 == .becameLeader(newEpoch) }
            print("transfer: request -> target's OnBecomeLeader \(became - asked)")
            // A follower refuses; so does the leader for an unknown node.
            await #expect(throws: NodeError.self) { try await trio.nodes[old].transfer(to: "n\(target + 1)") }
            await #expect(throws: NodeError.self) { try await trio.nodes[new].transfer(to: "nobody") }
            #expect(await trio.nodes[new].isLeader)
        }
    }

    @Test func statusPingAndControlOverNATS() async throws {
        let trio = try await NodeTrio.make()
        try await trio.run { trio in
            let (leader, epoch) = try await trio.waitForAgreedLeader()
            let client = try await NodeTrio.connect(trio.server.url)
            defer { Task { await client.close() } }
            let service = "cluster_\(trio.clusterId)"
            for index in 0..<3 {
                let reply = try await client.request("", to: "\(service).status.n\(index + 1)", timeout: .seconds(2))
                let status = try JSONDecoder().decode(NodeStatus.self, from: reply.data)
                #expect(status.nodeId == "n\(index + 1)")
                #expect(status.role == (index == leader ? "PRIMARY" : "PASSIVE"))
                #expect(status.leader == "n\(leader + 1)" && status.epoch == epoch && status.connected)
                #expect(status.uptimeMs >= 0)
                let object = try #require(try JSONSerialization.jsonObject(with: reply.data) as? [String: Any])
                #expect(Set(object.keys).isSuperset(of: ["nodeId", "role", "leader", "epoch", "uptimeMs", "connected"]))
                let ping = try await client.request("", to: "\(service).ping.n\(index + 1)", timeout: .seconds(2))
                let pong = try JSONDecoder().decode(PingReply.self, from: ping.data)
                #expect(pong.ok && !pong.timestamp.isEmpty)
            }
            // Discoverable through $SRV: one PING answer per node.
            let discovered = try await client.request("", to: "$SRV.PING.\(service)", timeout: .seconds(2))
            #expect(String(decoding: discovered.data, as: UTF8.self).contains(service))
            let follower = (leader + 1) % 3
            // A follower refuses a stepdown; malformed payloads get error replies.
            let refused = try await client.request("", to: "\(service).control.n\(follower + 1).stepdown")
            let refusedReply = try JSONDecoder().decode(ControlReply.self, from: refused.data)
            #expect(!refusedReply.ok && refusedReply.error != nil)
            let garbage = try await client.request("{{{", to: "\(service).control.n\(leader + 1).stepdown")
            #expect(garbage.serviceError?.code == 400)
            let badTransfer = try await client.request(#"{"to": 1}"#, to: "\(service).control.n\(leader + 1).transfer")
            #expect(badTransfer.serviceError?.code == 400)
            #expect(await trio.nodes[leader].isLeader, "malformed requests change nothing")
            // Transfer over NATS.
            let body = #"{"target": "n\#(follower + 1)"}"#
            let moved = try await client.request(body, to: "\(service).control.n\(leader + 1).transfer")
            #expect(try JSONDecoder().decode(ControlReply.self, from: moved.data).ok)
            let (new, newEpoch) = try await trio.waitForAgreedLeader(excluding: leader)
            #expect(new == follower && newEpoch > epoch)
            // Stepdown over NATS.
            let stepped = try await client.request("", to: "\(service).control.n\(new + 1).stepdown")
            #expect(try JSONDecoder().decode(ControlReply.self, from: stepped.data).ok)
            let (third, thirdEpoch) = try await trio.waitForAgreedLeader(excluding: new)
            #expect(third != new && thirdEpoch > newEpoch)
        }
    }
}

@Suite("Node across NATS outages", .enabled(if: NATSServer.isAvailable), .timeLimit(.minutes(2)), .serialized)
struct NodeOutageTests {
    /// (It once froze the whole process: NATSClient yielded connection events under its state lock while
    /// a listener's cancellation took that lock; fixed in ConnectionCore.emit.)
    @Test
    func serverKilledAndRestartedElectsAgainWithAHigherEpoch() async throws {
        let trio = try await NodeTrio.make()
        try await trio.run { trio in
            let (old, oldEpoch) = try await trio.waitForAgreedLeader()
            let server = trio.server
            try await offThread { server.kill() }
            // Longer than the TTL: the leader cannot renew and must fence itself.
            try await Task.sleep(for: NodeTrio.ttl + .milliseconds(500))
            #expect(await trio.leaders().isEmpty, "nobody acts as leader without NATS past the TTL")
            #expect(trio.hooks[old].all.contains(.lostLeadership))
            for hooks in trio.hooks { #expect(hooks.all.contains(.disconnected)) }
            try await offThread { try server.start() }
            let (_, newEpoch) = try await trio.waitForAgreedLeader(timeout: .seconds(20))
            #expect(newEpoch > oldEpoch)
            for hooks in trio.hooks { #expect(hooks.all.contains(.reconnected)) }
            for node in trio.nodes { #expect(await node.connected) }
        }
    }

    @Test func leaseExpiredAndEveryNodeRestartedKeepsTheEpochGrowing() async throws {
        var trio = try await NodeTrio.make()
        do {
            let (_, oldEpoch) = try await trio.waitForAgreedLeader()
            // Every node dies abruptly: no stepdown, the lease is left to expire by max age.
            for connection in trio.connections { await connection.close() }
            try await Task.sleep(for: NodeTrio.ttl + .milliseconds(500))
            for node in trio.nodes { await node.stop() }
            let js = JetStreamContext(connection: try await NodeTrio.connect(trio.server.url))
            let kv = try await js.keyValue("KV_CLUSTER_\(trio.clusterId)")
            #expect(try await kv.get("leader", consistent: true) == nil, "the lease expired")
            await js.connection.close()
            // Brand-new nodes that never saw the cluster.
            for id in ["n4", "n5", "n6"] { try await trio.add(id) }
            let fresh = [3, 4, 5]
            let (_, newEpoch) = try await trio.waitForAgreedLeader(among: fresh)
            #expect(newEpoch > oldEpoch, "epoch \(newEpoch) after restart must exceed \(oldEpoch)")
        } catch {
            await trio.shutdown()
            throw error
        }
        await trio.shutdown()
    }

    @Test func nodeFromClusterConfigJoinsAndLeavesGracefully() async throws {
        let trio = try await NodeTrio.make(count: 2)
        try await trio.run { trio in
            let (leader, epoch) = try await trio.waitForAgreedLeader()
            let config = ClusterConfig(
                clusterId: trio.clusterId, nodeId: "n9", natsURLs: [trio.server.url],
                reconnectWait: .milliseconds(200), leaseTTL: NodeTrio.ttl, heartbeatInterval: NodeTrio.heartbeat)
            let hooks = NodeHookRecorder()
            let node = try Node(config: config, hooks: hooks)
            try await node.start()
            #expect(await node.microService != nil)
            let deadline = ContinuousClock.now + .seconds(5)
            while await node.leader != "n\(leader + 1)", ContinuousClock.now < deadline {
                try await Task.sleep(for: .milliseconds(20))
            }
            #expect(await node.leader == "n\(leader + 1)")
            #expect(await node.epoch == epoch)
            #expect(await node.role == .passive)
            // stop() of the leader releases the lease: a successor within a fraction of the TTL.
            let stopped = ContinuousClock.now
            await trio.nodes[leader].stop()
            let other = trio.nodes[1 - leader]
            var successor: (String, UInt64)?
            while successor == nil, ContinuousClock.now - stopped < .seconds(5) {
                if await other.isLeader {
                    successor = ("n\(2 - leader)", await other.epoch)
                } else if await node.isLeader {
                    successor = ("n9", await node.epoch)
                } else {
                    try await Task.sleep(for: .milliseconds(5))
                }
            }
            let (successorId, newEpoch) = try #require(successor, "no successor after the leader stopped")
            #expect(ContinuousClock.now - stopped < NodeTrio.ttl)
            #expect(newEpoch > epoch)
            try await Task.sleep(for: .milliseconds(200))
            #expect(await other.leader == successorId)
            #expect(await node.leader == successorId)
            await node.stop()
        }
    }
}

extension NodeTrio {
    /// Runs `body`, then shuts everything down whether it threw or not.
    func run(_ body: (NodeTrio) async throws -> Void) async throws {
        do {
            try await body(self)
        } catch {
            await shutdown()
            throw error
        }
        await shutdown()
    }
}
