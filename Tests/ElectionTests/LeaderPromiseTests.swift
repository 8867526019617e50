import Testing

@testable import Election

/// Acquisition, renewal, epochs and self-fencing, one promise per test.
@Suite struct LeaderPromiseTests {
    @Test func acquiresWithACreatePinnedToTheStreamSequence() {
        var harness = Harness()
        let actions = harness.startOnEmptyKey(lastSequence: 41)
        let expected = LeaseRecord(nodeId: "a", epoch: 42)
        #expect(actions.writes == [.acquireLease(expected, expectedSubjectRevision: 0, expectedStreamSequence: 41, RequestID(1))])
        #expect(harness.machine.role == .candidate)
    }

    @Test func becomesLeaderUntilSendTimePlusTTLMinusMargin() {
        var harness = Harness()
        let sentAt = harness.now
        let actions = harness.startOnEmptyKey(lastSequence: 7)
        harness.advance(.milliseconds(30))  // the ack arrives later; the deadline still counts from the send
        let result = harness.machine.writeSucceeded(actions.writeID!, revision: 8, now: harness.now)
        let deadline = sentAt + .seconds(9)
        #expect(result.contains(.becameLeader(epoch: 8, validUntil: deadline)))
        #expect(result.scheduled(.selfFence) == deadline)
        #expect(result.scheduled(.renew) == sentAt + .seconds(3))
        #expect(harness.machine.isLeader && harness.machine.epoch == 8)
    }

    @Test func renewsWithACASOnTheLastRevisionAndExtendsTheDeadline() {
        var harness = Harness()
        harness.becomeLeader(revision: 8)
        harness.advance(.seconds(3))
        let renewal = harness.fire(.renew)
        #expect(renewal.writes == [.updateLease(LeaseRecord(nodeId: "a", epoch: 8), expectedRevision: 8, renewal.writeID!)])
        let sentAt = harness.now
        harness.advance(.milliseconds(5))
        let result = harness.machine.writeSucceeded(renewal.writeID!, revision: 9, now: harness.now)
        #expect(result.contains(.leadershipExtended(validUntil: sentAt + .seconds(9))))
        harness.advance(.seconds(3))
        #expect(harness.fire(.renew).writes.first == .updateLease(LeaseRecord(nodeId: "a", epoch: 8), expectedRevision: 9, RequestID(3)))
    }

    @Test func aFailedCASDemotesAtOnce() {
        var harness = Harness()
        harness.becomeLeader()
        harness.advance(.seconds(3))
        let renewal = harness.fire(.renew)
        let result = harness.machine.writeFailed(renewal.writeID!, .wrongRevision, now: harness.now)
        #expect(result.first == .lostLeadership(.casFailed))
        #expect(result.contains(.readLease))
        #expect(!harness.machine.isLeader)
    }

    @Test func keepsRetryingRenewalsThenFencesItselfAtTheDeadline() {
        var harness = Harness()
        let acquiredAt = harness.becomeLeader()
        harness.advance(.seconds(3))
        var renewal = harness.fire(.renew)
        for _ in 0..<20 {
            let result = harness.machine.writeFailed(renewal.writeID!, .other, now: harness.now)
            #expect(result.lostLeadership == nil)
            #expect(result.scheduled(.renew) == harness.now + harness.config.renewRetryInterval)
            harness.advance(harness.config.renewRetryInterval)
            renewal = harness.fire(.renew)
        }
        harness.now = acquiredAt + .seconds(9)
        let fenced = harness.fire(.selfFence)
        #expect(fenced.first == .lostLeadership(.selfFenced))
        #expect(!harness.machine.isLeader)
    }

    @Test func aPausedLeaderDemotesBeforeHandlingWhateverWakesItUp() {
        var harness = Harness()
        harness.becomeLeader()
        harness.advance(.seconds(3))
        let renewal = harness.fire(.renew)
        harness.advance(.seconds(20))  // paused; the renewal's ack waited in the socket
        let result = harness.machine.writeSucceeded(renewal.writeID!, revision: 9, now: harness.now)
        #expect(result.first == .lostLeadership(.selfFenced))
        #expect(result.becameLeader == nil)
        #expect(!result.contains { if case .leadershipExtended = $0 { true } else { false } })
    }

    @Test func aNewerForeignLeaseInTheWatchDemotes() {
        var harness = Harness()
        harness.becomeLeader(revision: 8)
        let result = harness.watchPut(12, leaseBytes("b", 12))
        #expect(result.first == .lostLeadership(.superseded))
    }

    @Test func ownRenewalSeenInTheWatchMovesTheCASRevisionWhenTheAckIsLost() {
        var harness = Harness()
        harness.becomeLeader(revision: 8)
        harness.advance(.seconds(3))
        let renewal = harness.fire(.renew)
        #expect(harness.watchPut(9, leaseBytes("a", 8)).lostLeadership == nil)
        _ = harness.machine.writeFailed(renewal.writeID!, .other, now: harness.now)
        harness.advance(harness.config.renewRetryInterval)
        let retry = harness.fire(.renew)
        #expect(retry.writes.first == .updateLease(LeaseRecord(nodeId: "a", epoch: 8, acquiredAt: "2026-11-27T00:00:00Z"), expectedRevision: 9, retry.writeID!))
    }

    @Test func epochComesFromTheStreamNotFromMemory() {
        // A fresh node, a bucket whose lease expired long ago: the epoch is still above everything before.
        var harness = Harness()
        let actions = harness.startOnEmptyKey(lastSequence: 1_000)
        #expect(actions.writes.first == .acquireLease(LeaseRecord(nodeId: "a", epoch: 1_001), expectedSubjectRevision: 0, expectedStreamSequence: 1_000, RequestID(1)))
    }

    @Test func createOverATombstoneExpectsTheMarkerRevision() {
        var harness = Harness()
        _ = harness.machine.start(now: harness.now)
        let actions = harness.machine.leaseRead(LeaseSnapshot(entry: .tombstone(revision: 12), streamLastSequence: 14), now: harness.now)
        #expect(actions.writes.first == .acquireLease(LeaseRecord(nodeId: "a", epoch: 15), expectedSubjectRevision: 12, expectedStreamSequence: 14, RequestID(1)))
    }

    @Test func aStaleStreamGuessIsRereadAndRetried() {
        var harness = Harness()
        let first = harness.startOnEmptyKey(lastSequence: 5)
        let failed = harness.machine.writeFailed(first.writeID!, .wrongRevision, now: harness.now)
        #expect(failed.writes.isEmpty && failed.contains(.readLease))
        let retry = harness.machine.leaseRead(LeaseSnapshot(entry: .absent, streamLastSequence: 6), now: harness.now)
        #expect(retry.writes.first == .acquireLease(LeaseRecord(nodeId: "a", epoch: 7), expectedSubjectRevision: 0, expectedStreamSequence: 6, RequestID(2)))
    }

    @Test func aLostAcquisitionReplyIsRecoveredByClaimingOurOwnLease() {
        var harness = Harness()
        let first = harness.startOnEmptyKey(lastSequence: 5)
        _ = harness.machine.writeFailed(first.writeID!, .other, now: harness.now)
        let read = harness.machine.leaseRead(LeaseSnapshot(entry: .value(revision: 6, bytes: leaseBytes("a", 6)), streamLastSequence: 6), now: harness.now)
        #expect(read.writes.first == .updateLease(LeaseRecord(nodeId: "a", epoch: 7), expectedRevision: 6, read.writeID!))
        let won = harness.machine.writeSucceeded(read.writeID!, revision: 7, now: harness.now)
        #expect(won.becameLeader == 7)
    }
}
