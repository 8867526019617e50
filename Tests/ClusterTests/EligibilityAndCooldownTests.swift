import Cluster
import Election
import Foundation
import NATSClient
import NATSTestSupport
import Testing

/// Eligibility (maintenance, health checks) and the stepdown cooldown across a restart, on a real server.
@Suite("Node eligibility and cooldown", .enabled(if: NATSServer.isAvailable), .timeLimit(.minutes(2)), .serialized)
struct EligibilityAndCooldownTests {
    @Test func aLeaderThatBecomesIneligibleHandsOverAndNeverContendsUntilEligibleAgain() async throws {
        let trio = try await NodeTrio.make()
        try await trio.run { trio in
            let (old, oldEpoch) = try await trio.waitForAgreedLeader()
            let asked = ContinuousClock.now
            await trio.nodes[old].setEligible(false)
            #expect(await trio.nodes[old].isLeader == false)
            let (new, newEpoch) = try await trio.waitForAgreedLeader(excluding: old)
            #expect(newEpoch > oldEpoch)
            let became = try await trio.hooks[new].awaitCall { $0 == .becameLeader(newEpoch) }
            #expect(became - asked < NodeTrio.ttl, "an ineligible leader releases the lease, nobody waits for the TTL")

            // Every other node leaves: the lease is free, but an ineligible node still must not take it.
            let others = trio.nodes.indices.filter { $0 != old }
            for index in others { await trio.nodes[index].stop() }
            let window = ContinuousClock.now + NodeTrio.ttl * 2
            while ContinuousClock.now < window {
                #expect(await trio.nodes[old].isLeader == false, "an ineligible node contended")
                try await Task.sleep(for: .milliseconds(50))
            }
            #expect(trio.hooks[old].last { $0 == .becameLeader(newEpoch + 1) } == nil)

            await trio.nodes[old].setEligible(true)
            let (back, backEpoch) = try await trio.waitForAgreedLeader(among: [old])
            #expect(back == old)
            #expect(backEpoch > newEpoch)
        }
    }

    /// The rule decided in the issue: a stepped-down node stays out for its cooldown unless no other live
    /// node could take over; it knows that when the lease is still free after `cooldownYield`.
    @Test func aLoneNodeThatStepsDownLeadsAgainAfterTheYieldNotTheWholeCooldown() async throws {
        let trio = try await NodeTrio.make(count: 1)
        try await trio.run { trio in
            let (_, epoch) = try await trio.waitForAgreedLeader()
            let asked = ContinuousClock.now
            try await trio.nodes[0].stepDown()
            let (_, again) = try await trio.waitForAgreedLeader(timeout: .seconds(5))
            let back = try await trio.hooks[0].awaitCall { $0 == .becameLeader(again) }
            let config = trio.nodes[0].options.election
            print("lone node: stepdown -> leads again after \(back - asked) (yield \(config.cooldownYield), cooldown \(config.cooldown))")
            #expect(again > epoch)
            #expect(back - asked >= config.cooldownYield - .milliseconds(20), "it did not yield to other nodes")
            #expect(back - asked < config.cooldown, "a lone node waited out the whole cooldown")
        }
    }

    @Test func aNodeRestartedRightAfterAStepdownStaysOutForTheRestOfItsCooldown() async throws {
        var trio = try await NodeTrio.make()
        do {
            let (old, _) = try await trio.waitForAgreedLeader()
            try await trio.nodes[old].stepDown()
            let (next, _) = try await trio.waitForAgreedLeader(excluding: old)

            // Restart the stepped-down node: a new Node with the same id reads its cooldown marker back.
            await trio.nodes[old].stop()
            let restarted = try await trio.replace(old)
            #expect(await restarted.inCooldown, "the restarted node forgot its cooldown")
            #expect(await restarted.electionRole == .standby)

            // The leader leaves gracefully: the third node takes over, not the cooling-down one.
            let third = trio.nodes.indices.first { $0 != old && $0 != next }!
            await trio.nodes[next].stop()
            let (taker, _) = try await trio.waitForAgreedLeader(among: [old, third])
            #expect(taker == third, "a node in its cooldown took the lease while another node was live")
        } catch {
            await trio.shutdown()
            throw error
        }
        await trio.shutdown()
    }
}

extension NodeTrio {
    /// Replaces the (stopped) node at `index` with a new one of the same id on the same connection.
    mutating func replace(_ index: Int) async throws -> Node {
        let recorder = NodeHookRecorder()
        let node = try Node(options: nodes[index].options, hooks: recorder)
        try await node.start(connection: connections[index])
        nodes[index] = node
        hooks[index] = recorder
        return node
    }
}
