import Cluster
import Election
import Foundation
import NATSClient
import NATSTestSupport
import Synchronization
import Testing

/// Records guard calls with their time: every node's calls go into one shared, ordered log.
final class GuardLog: Sendable {
    enum Call: Sendable, Equatable {
        case granted(String, UInt64)
        case extended(String, UInt64)
        case revoked(String)
    }

    let calls = Mutex<[(Call, ContinuousClock.Instant, ContinuousClock.Instant?)]>([])

    struct Guard: LeadershipGuard {
        let nodeId: String
        let log: GuardLog
        func leadershipGranted(epoch: UInt64, validUntil: ContinuousClock.Instant) {
            log.calls.withLock { $0.append((.granted(nodeId, epoch), .now, validUntil)) }
        }
        func leadershipExtended(epoch: UInt64, validUntil: ContinuousClock.Instant) {
            log.calls.withLock { $0.append((.extended(nodeId, epoch), .now, validUntil)) }
        }
        func leadershipRevoked(reason: LeadershipLossReason) {
            log.calls.withLock { $0.append((.revoked(nodeId), .now, nil)) }
        }
    }

    /// Who holds per the guard calls, replayed in order: never more than one at a time.
    func maxConcurrentHolders() -> Int {
        var holders: Set<String> = []
        var worst = 0
        for (call, _, _) in calls.withLock({ $0 }) {
            switch call {
            case .granted(let node, _): holders.insert(node)
            case .revoked(let node): holders.remove(node)
            case .extended: break
            }
            worst = max(worst, holders.count)
        }
        return worst
    }
}

@Suite("Leadership guard on a real NATS server", .enabled(if: NATSServer.isAvailable), .timeLimit(.minutes(2)), .serialized)
struct LeadershipGuardTests {
    @Test func theGuardHearsOfEveryGrantRenewalAndRevocationInOrder() async throws {
        let server = try await NATSServer.launch()
        let log = GuardLog()
        let clusterId = "g\(UInt32.random(in: 0...UInt32.max))"
        var managers: [Manager] = []
        var connections: [NATSConnection] = []
        do {
            for index in 1...3 {
                let options = NodeOptions(
                    clusterId: clusterId,
                    election: ElectionConfig(nodeId: "n\(index)", leaseTTL: NodeTrio.ttl, heartbeatInterval: NodeTrio.heartbeat))
                let manager = try Manager(options: options, leadershipGuard: GuardLog.Guard(nodeId: "n\(index)", log: log))
                let connection = try await NodeTrio.connect(server.url)
                try await manager.join(connection: connection)
                managers.append(manager)
                connections.append(connection)
            }
            // Renewals extend the deadline, each further than the last.
            let deadline = ContinuousClock.now + .seconds(3)
            while log.calls.withLock({ $0.filter { if case .extended = $0.0 { true } else { false } }.count }) < 3 {
                #expect(ContinuousClock.now < deadline, "no renewals reached the guard")
                if ContinuousClock.now >= deadline { break }
                try await Task.sleep(for: .milliseconds(20))
            }
            let untils = log.calls.withLock { $0.compactMap { $0.2 } }
            #expect(untils == untils.sorted(), "a renewal moved the deadline backwards")
            if let granted = log.calls.withLock({ $0.first }) {
                #expect(granted.2! > granted.1 + NodeTrio.ttl / 2, "granted with a deadline too close")
                #expect(granted.2! < granted.1 + NodeTrio.ttl, "granted beyond the lease TTL")
            }
            // Move the lease around: promote each in turn, stepdown, leave.
            try await managers[1].promote()
            try await managers[2].promote()
            try await managers[2].demote()
            try await managers[0].promote()
            await managers[0].leave()
            _ = try await managers[1].promote()
            #expect(log.maxConcurrentHolders() == 1, "two nodes held at once per the guard")
            let revocations = log.calls.withLock { $0.filter { if case .revoked = $0.0 { true } else { false } }.count }
            #expect(revocations >= 4)
        } catch {
            Issue.record(error)
        }
        for manager in managers { await manager.leave() }
        for connection in connections { await connection.close() }
        try? await offThread {
            server.kill()
            server.remove()
        }
    }
}
