import Cluster
import Election
import Foundation
import NATSClient
import NATSTestSupport
import Testing

/// Managers of one cluster on one real server, each with its own connection.
struct ManagerGroup {
    let server: NATSServer
    let clusterId = "m\(UInt32.random(in: 0...UInt32.max))"
    var managers: [Manager] = []
    var connections: [NATSConnection] = []

    static func make(count: Int = 3) async throws -> ManagerGroup {
        var group = ManagerGroup(server: try await NATSServer.launch())
        for index in 0..<count {
            let connection = try await NodeTrio.connect(group.server.url)
            let options = NodeOptions(
                clusterId: group.clusterId,
                election: ElectionConfig(
                    nodeId: "n\(index + 1)", leaseTTL: NodeTrio.ttl, heartbeatInterval: NodeTrio.heartbeat))
            group.managers.append(try Manager(options: options))
            group.connections.append(connection)
        }
        return group
    }

    func leaders() async -> [Int] {
        var result: [Int] = []
        for (index, manager) in managers.enumerated() where await manager.node.isLeader { result.append(index) }
        return result
    }

    func shutdown() async {
        for manager in managers { await manager.leave() }
        for connection in connections { await connection.close() }
        let server = self.server
        try? await offThread {
            server.kill()
            server.remove()
        }
    }

    func run(_ body: (ManagerGroup) async throws -> Void) async throws {
        do { try await body(self) } catch {
            await shutdown()
            throw error
        }
        await shutdown()
    }
}

@Suite("Manager on a real NATS server", .enabled(if: NATSServer.isAvailable), .timeLimit(.minutes(2)), .serialized)
struct ManagerTests {
    @Test func joinReturnsOnceTheLeaderIsKnownAndPromoteMovesLeadershipHere() async throws {
        let group = try await ManagerGroup.make()
        try await group.run { group in
            let first = try await group.managers[0].join(connection: group.connections[0])
            #expect(first.leader == "n1", "alone in the cluster, the first node leads once join returns")
            for index in 1..<3 {
                let status = try await group.managers[index].join(connection: group.connections[index])
                #expect(status.leader == "n1")
                #expect(status.role == "PASSIVE")
                #expect(status.epoch == first.epoch)
            }
            let asked = ContinuousClock.now
            try await group.managers[2].promote()
            let took = ContinuousClock.now - asked
            #expect(await group.leaders() == [2])
            let status = await group.managers[2].status()
            #expect(status.role == "PRIMARY")
            #expect(status.epoch > first.epoch)
            print("promote (transfer from the leader to this node): \(took)")
            #expect(took < NodeTrio.ttl, "promote must not wait for the lease to expire")
            // Promoting the leader is a no-op.
            try await group.managers[2].promote()
            #expect(await group.managers[2].status().epoch == status.epoch)
        }
    }

    @Test func demoteAndLeaveHandOverAndPromoteCancelsTheCooldown() async throws {
        let group = try await ManagerGroup.make(count: 2)
        try await group.run { group in
            try await group.managers[0].join(connection: group.connections[0])
            try await group.managers[1].join(connection: group.connections[1])
            #expect(await group.leaders() == [0])
            try await group.managers[0].demote()
            try await group.managers[1].promote(timeout: NodeTrio.ttl)
            #expect(await group.leaders() == [1])
            // n1 is cooling down after its stepdown; an explicit promote overrides that.
            #expect(await group.managers[0].node.inCooldown)
            try await group.managers[0].promote(timeout: NodeTrio.ttl)
            #expect(await group.leaders() == [0])
            await #expect(throws: (any Error).self) { try await group.managers[1].demote() }
            // Leaving hands over at once.
            await group.managers[0].leave()
            let left = ContinuousClock.now
            try await group.managers[1].promote(timeout: NodeTrio.ttl)
            #expect(ContinuousClock.now - left < NodeTrio.ttl)
            await #expect(throws: ManagerError.notJoined) { try await group.managers[0].promote() }
        }
    }

    @Test func runDaemonLeavesGracefullyWhenCancelled() async throws {
        let group = try await ManagerGroup.make(count: 2)
        try await group.run { group in
            let daemon = group.managers[0]
            let connection = group.connections[0]
            let task = Task { try await daemon.runDaemon(connection: connection) }
            try await group.managers[1].join(connection: group.connections[1])
            try await daemon.promote(timeout: NodeTrio.ttl)
            let cancelled = ContinuousClock.now
            task.cancel()
            try await task.value
            #expect(await daemon.node.isLeader == false)
            try await group.managers[1].promote(timeout: NodeTrio.ttl)
            #expect(ContinuousClock.now - cancelled < NodeTrio.ttl, "a cancelled daemon hands over, nobody waits for the TTL")
        }
    }

    @Test func controlClientReadsStatusAndRefusesClearly() async throws {
        let group = try await ManagerGroup.make(count: 2)
        try await group.run { group in
            try await group.managers[0].join(connection: group.connections[0])
            try await group.managers[1].join(connection: group.connections[1])
            let control = ClusterControl(connection: group.connections[1], clusterId: group.clusterId)
            let status = try await control.status(of: "n1")
            #expect(status.nodeId == "n1")
            #expect(status.role == "PRIMARY")
            #expect(try await control.ping("n2").ok)
            await #expect(throws: ClusterControlError.refused("not leader")) { try await control.stepDown("n2") }
            await #expect(throws: ClusterControlError.noResponders("cluster_\(group.clusterId).status.n9")) {
                _ = try await control.status(of: "n9")
            }
            try await control.transfer(from: "n1", to: "n2")
            #expect(try await control.status(of: "n1").role == "PASSIVE")
        }
    }
}
