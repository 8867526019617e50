import Testing

@testable import Election

/// A cooldown read back after a restart, and one cancelled by an operator's promote.
@Suite struct CooldownRestoreTests {
    @Test func aRestoredCooldownYieldsAFreeLeaseLikeAStepdown() {
        var harness = Harness()
        _ = harness.machine.start(now: harness.now)
        _ = harness.machine.cooldownRestored(remaining: .seconds(4), now: harness.now)
        #expect(harness.machine.role == .standby)
        let free = harness.machine.leaseRead(LeaseSnapshot(entry: .absent, streamLastSequence: 3), now: harness.now)
        #expect(free.writes.isEmpty, "a node cooling down must not grab a free lease at once")
        #expect(free.scheduled(.acquireRetry) == harness.now + harness.config.cooldownYield)
        harness.advance(harness.config.cooldownYield)
        let late = harness.fire(.acquireRetry)
        #expect(late.writes.count == 1, "nobody else took the free lease: the node contends after the yield")
    }

    @Test func aRestoredCooldownIsCappedAndIgnoredWhileLeader() {
        var harness = Harness()
        _ = harness.machine.start(now: harness.now)
        _ = harness.machine.cooldownRestored(remaining: .seconds(3600), now: harness.now)
        #expect(harness.machine.cooldownEnd == harness.now + harness.config.cooldown)

        var leader = Harness()
        leader.becomeLeader()
        _ = leader.machine.cooldownRestored(remaining: .seconds(5), now: leader.now)
        #expect(leader.machine.isLeader)
        #expect(leader.machine.cooldownEnd == nil)
    }

    @Test func cancellingTheCooldownContendsAtOnce() {
        var harness = Harness()
        _ = harness.machine.start(now: harness.now)
        _ = harness.machine.cooldownRestored(remaining: .seconds(8), now: harness.now)
        _ = harness.machine.leaseRead(LeaseSnapshot(entry: .absent, streamLastSequence: 3), now: harness.now)
        let cancelled = harness.machine.cooldownCancelled(now: harness.now)
        #expect(cancelled.writes.count == 1)
        #expect(harness.machine.role == .candidate)
    }

    @Test func aLeaseTransferredToANodeInCooldownIsTakenOnceTheCooldownIsCancelled() {
        var harness = Harness()
        _ = harness.machine.start(now: harness.now)
        _ = harness.machine.cooldownRestored(remaining: .seconds(8), now: harness.now)
        _ = harness.machine.cooldownCancelled(now: harness.now)
        _ = harness.machine.leaseRead(
            LeaseSnapshot(entry: .value(revision: 5, bytes: leaseBytes("b", 5)), streamLastSequence: 5), now: harness.now)
        let transferred = harness.watchPut(6, leaseBytes("a", 6))
        #expect(transferred.writes == [.updateLease(LeaseRecord(nodeId: "a", epoch: 7), expectedRevision: 6, transferred.writeID!)])
    }
}
