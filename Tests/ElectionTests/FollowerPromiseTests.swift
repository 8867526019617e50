import Testing

@testable import Election

/// Reactive followers, garbage, stepdown, cooldown, transfer and eligibility, one promise per test.
@Suite struct FollowerPromiseTests {
    /// A follower of `b`'s lease at revision 5, seen at `harness.now`.
    func follower(of holder: String = "b", ttl: Duration = .seconds(10)) -> Harness {
        var harness = Harness("a", ttl: ttl, heartbeat: ttl / 4)
        _ = harness.machine.start(now: harness.now)
        let bytes = leaseBytes(holder, 5)
        _ = harness.machine.leaseRead(LeaseSnapshot(entry: .value(revision: 5, bytes: bytes), streamLastSequence: 5), now: harness.now)
        return harness
    }

    @Test func followerArmsALocalExpiryTimerAndAcquiresWhenItFires() {
        var harness = follower()
        let seenAt = harness.now
        harness.advance(.seconds(2))
        let renewal = harness.watchPut(6, leaseBytes("b", 5))
        #expect(renewal.scheduled(.leaseExpiry) == seenAt + .seconds(12))
        harness.advance(.seconds(10))
        let attempt = harness.fire(.leaseExpiry)
        #expect(attempt.writes == [.acquireLease(LeaseRecord(nodeId: "a", epoch: 7), expectedSubjectRevision: 0, expectedStreamSequence: 6, RequestID(1))])
    }

    @Test func anEarlyTimerRetriesBrieflyWhileTheKeyStillExists() {
        var harness = follower()
        harness.advance(.seconds(10))
        let attempt = harness.fire(.leaseExpiry)
        let failed = harness.machine.writeFailed(attempt.writeID!, .wrongRevision, now: harness.now)
        #expect(failed.contains(.readLease))
        let stillThere = harness.machine.leaseRead(LeaseSnapshot(entry: .value(revision: 5, bytes: leaseBytes("b", 5)), streamLastSequence: 5), now: harness.now)
        #expect(stillThere.scheduled(.acquireRetry) == harness.now + harness.config.acquireRetryInterval)
        harness.advance(harness.config.acquireRetryInterval)
        #expect(harness.fire(.acquireRetry).writes.count == 1)
    }

    @Test func aDeleteInTheWatchTriggersAnImmediateAcquisition() {
        var harness = follower()
        let actions = harness.machine.watchUpdate(LeaseWatchEntry(revision: 6, operation: .delete), now: harness.now)
        #expect(actions.writes == [.acquireLease(LeaseRecord(nodeId: "a", epoch: 7), expectedSubjectRevision: 6, expectedStreamSequence: 6, RequestID(1))])
    }

    @Test func olderWatchEntriesAreIgnored() {
        var harness = follower()
        #expect(harness.watchPut(6, leaseBytes("c", 6)).contains(.leaderChanged(nodeId: "c", epoch: 6)))
        #expect(harness.watchPut(4, leaseBytes("b", 3)).isEmpty)
        #expect(harness.machine.knownLeader?.nodeId == "c")
    }

    @Test func garbageIsAForeignLeaseThatIsWaitedOut() {
        var harness = Harness()
        _ = harness.machine.start(now: harness.now)
        let garbage = harness.machine.leaseRead(LeaseSnapshot(entry: .value(revision: 3, bytes: Array("}{".utf8)), streamLastSequence: 3), now: harness.now)
        #expect(garbage.writes.isEmpty)
        #expect(garbage.contains(.leaderChanged(nodeId: nil, epoch: nil)))
        #expect(garbage.scheduled(.leaseExpiry) == harness.now + .seconds(10))
        harness.advance(.seconds(10))
        let attempt = harness.fire(.leaseExpiry)
        #expect(attempt.writes.first == .acquireLease(LeaseRecord(nodeId: "a", epoch: 4), expectedSubjectRevision: 0, expectedStreamSequence: 3, RequestID(1)))
        #expect(harness.machine.writeSucceeded(attempt.writeID!, revision: 4, now: harness.now).becameLeader == 4)
    }

    @Test func garbageDemotesALeaderWhoseCASThenFails() {
        var harness = Harness()
        harness.becomeLeader(revision: 8)
        let result = harness.watchPut(9, Array("not json".utf8))
        #expect(result.first == .lostLeadership(.superseded))
    }

    @Test func stepdownDemotesPutsTheMarkerAndDeletesOnlyOurRevision() {
        var harness = Harness()
        harness.becomeLeader(revision: 8)
        let actions = harness.machine.stepDownRequested(now: harness.now)
        #expect(actions.first == .lostLeadership(.steppedDown))
        #expect(actions.contains(.putCooldown(nodeId: "a", duration: .seconds(10))))
        #expect(actions.writes == [.deleteLease(expectedRevision: 8, RequestID(2))])
        #expect(harness.machine.role == .standby)
    }

    @Test func stepdownWaitsForARenewalInFlightAndDeletesItsRevision() {
        var harness = Harness()
        harness.becomeLeader(revision: 8)
        harness.advance(.seconds(3))
        let renewal = harness.fire(.renew)
        let stepdown = harness.machine.stepDownRequested(now: harness.now)
        #expect(stepdown.first == .lostLeadership(.steppedDown))
        #expect(stepdown.writes.isEmpty)
        let landed = harness.machine.writeSucceeded(renewal.writeID!, revision: 9, now: harness.now)
        #expect(landed.writes == [.deleteLease(expectedRevision: 9, landed.writeID!)])
    }

    @Test func stepdownNeverDeletesASuccessorsLease() {
        var harness = Harness()
        harness.becomeLeader(revision: 8)
        let stepdown = harness.machine.stepDownRequested(now: harness.now)
        let failed = harness.machine.writeFailed(stepdown.writeID!, .wrongRevision, now: harness.now)
        #expect(failed.writes.isEmpty)
        let successor = harness.machine.leaseRead(LeaseSnapshot(entry: .value(revision: 10, bytes: leaseBytes("b", 10)), streamLastSequence: 10), now: harness.now)
        #expect(successor.writes.isEmpty)
    }

    @Test func cooldownYieldsToOthersThenTakesOverIfNobodyElseCan() {
        var harness = Harness()
        harness.becomeLeader(revision: 8)
        let stepdown = harness.machine.stepDownRequested(now: harness.now)
        let deleted = harness.machine.writeSucceeded(stepdown.writeID!, revision: 9, now: harness.now)
        #expect(deleted.writes.isEmpty)
        let yieldEnds = deleted.scheduled(.acquireRetry)
        #expect(yieldEnds == harness.now + harness.config.cooldownYield)
        harness.now = yieldEnds!
        let alone = harness.fire(.acquireRetry)
        #expect(alone.writes == [.acquireLease(LeaseRecord(nodeId: "a", epoch: 10), expectedSubjectRevision: 9, expectedStreamSequence: 9, alone.writeID!)])
    }

    @Test func cooldownStaysOutWhenAnotherNodeTakesOver() {
        var harness = Harness { $0.cooldown = .seconds(60) }
        harness.becomeLeader(revision: 8)
        let stepdown = harness.machine.stepDownRequested(now: harness.now)
        _ = harness.machine.writeSucceeded(stepdown.writeID!, revision: 9, now: harness.now)
        harness.advance(.milliseconds(5))
        _ = harness.watchPut(10, leaseBytes("b", 10))
        harness.advance(harness.config.cooldownYield)
        #expect(harness.fire(.acquireRetry).writes.isEmpty)
        // b crashes during our cooldown: its lease expires, we still yield first, then take over.
        harness.advance(.seconds(10))
        let expired = harness.fire(.leaseExpiry)
        #expect(expired.writes.isEmpty)
        harness.now = expired.scheduled(.acquireRetry)!
        #expect(harness.fire(.acquireRetry).writes.count == 1)
        // After the cooldown the node contends at once again.
        var fresh = follower()
        fresh.advance(.seconds(10))
        #expect(fresh.fire(.leaseExpiry).writes.count == 1)
    }

    @Test func transferDemotesThenHandsTheLeaseOverWithTheNextEpoch() {
        var leader = Harness("a")
        leader.becomeLeader(revision: 8)
        let handover = leader.machine.transferRequested(to: "b", now: leader.now)
        #expect(handover.first == .lostLeadership(.transferred(to: "b")))
        #expect(handover.writes == [.updateLease(LeaseRecord(nodeId: "b", epoch: 9), expectedRevision: 8, handover.writeID!)])
        _ = leader.machine.writeSucceeded(handover.writeID!, revision: 9, now: leader.now)
        #expect(leader.machine.knownLeader?.nodeId == "b")

        var target = Harness("b")
        _ = target.machine.start(now: target.now)
        let claim = target.machine.leaseRead(LeaseSnapshot(entry: .value(revision: 9, bytes: leaseBytes("b", 9)), streamLastSequence: 9), now: target.now)
        #expect(claim.writes == [.updateLease(LeaseRecord(nodeId: "b", epoch: 10), expectedRevision: 9, claim.writeID!)])
        #expect(target.machine.writeSucceeded(claim.writeID!, revision: 10, now: target.now).becameLeader == 10)
    }

    @Test func transferWaitsForARenewalInFlight() {
        var leader = Harness("a")
        leader.becomeLeader(revision: 8)
        leader.advance(.seconds(3))
        let renewal = leader.fire(.renew)
        #expect(leader.machine.transferRequested(to: "b", now: leader.now).isEmpty)
        let landed = leader.machine.writeSucceeded(renewal.writeID!, revision: 9, now: leader.now)
        #expect(landed.lostLeadership == .transferred(to: "b"))
        #expect(landed.writes == [.updateLease(LeaseRecord(nodeId: "b", epoch: 9), expectedRevision: 9, landed.writeID!)])
    }

    @Test func anIneligibleNodeNeverContendsAndReleasesALeaseHandedToIt() {
        var harness = Harness("a")
        _ = harness.machine.start(now: harness.now)
        _ = harness.machine.eligibilityChanged(false, now: harness.now)
        let empty = harness.machine.leaseRead(LeaseSnapshot(entry: .absent, streamLastSequence: 3), now: harness.now)
        #expect(empty.writes.isEmpty)
        #expect(harness.machine.role == .standby)
        let handed = harness.watchPut(4, leaseBytes("a", 4))
        #expect(handed.writes == [.deleteLease(expectedRevision: 4, handed.writeID!)])
        _ = harness.machine.writeSucceeded(handed.writeID!, revision: 5, now: harness.now)
        let eligible = harness.machine.eligibilityChanged(true, now: harness.now)
        #expect(eligible.writes.first == .acquireLease(LeaseRecord(nodeId: "a", epoch: 6), expectedSubjectRevision: 5, expectedStreamSequence: 5, eligible.writeID!))
    }

    @Test func aLeaderThatBecomesIneligibleDemotesAndReleases() {
        var harness = Harness("a")
        harness.becomeLeader(revision: 8)
        let actions = harness.machine.eligibilityChanged(false, now: harness.now)
        #expect(actions.first == .lostLeadership(.notEligible))
        #expect(actions.writes == [.deleteLease(expectedRevision: 8, actions.writeID!)])
    }

    @Test func aDisconnectedFollowerWaitsAndRereadsOnReconnection() {
        var harness = follower()
        _ = harness.machine.connectionLost(now: harness.now)
        harness.advance(.seconds(10))
        #expect(harness.fire(.leaseExpiry).writes.isEmpty)
        let back = harness.machine.connectionRestored(now: harness.now)
        #expect(back.contains(.readLease))
    }
}
