/// The node's role as the state machine sees it.
public enum Role: Sendable, Hashable {
    /// Watching the lease, ready to contend.
    case follower
    /// A lease write of ours (acquisition or claim) is in flight.
    case candidate
    /// Holding a lease whose self-fencing deadline has not passed: the node holds the VIP.
    case leader
    /// Not contending: not eligible (maintenance, failed health check) or cooling down after a stepdown.
    case standby
}

/// The timers the machine asks the driver to run. Scheduling an id again replaces its previous deadline.
public enum TimerID: Sendable, Hashable, CaseIterable {
    /// Leader: time to send the next renewal (or retry a failed one).
    case renew
    /// Leader: the self-fencing deadline; when it fires the node demotes.
    case selfFence
    /// Follower: the lease last seen should have expired by now; try to acquire.
    case leaseExpiry
    /// Follower: retry an acquisition or a read shortly.
    case acquireRetry
    /// Everyone: the slow periodic re-read and attempt.
    case safetyNet
}

/// Correlates a KV request with its result. The driver echoes it in the result event.
public struct RequestID: Sendable, Hashable, CustomStringConvertible {
    /// A per-machine counter.
    public var rawValue: UInt64

    /// Creates an id.
    /// - Parameter rawValue: The counter value.
    public init(_ rawValue: UInt64) { self.rawValue = rawValue }

    public var description: String { "#\(rawValue)" }
}

/// Why a KV write failed.
public enum WriteFailure: Sendable, Hashable {
    /// An expectation header failed (JetStream 10071 / 10164): the write certainly did not happen.
    case wrongRevision
    /// Timeout, 503 no responders, disconnection: the write may or may not have happened.
    case other
}

/// Why a leader stopped being leader.
public enum LeadershipLossReason: Sendable, Hashable {
    /// A renewal's CAS failed: someone else wrote the key.
    case casFailed
    /// No renewal succeeded before the self-fencing deadline.
    case selfFenced
    /// The watch or a read showed the lease deleted or held by someone else.
    case superseded
    /// A graceful stepdown was requested.
    case steppedDown
    /// Leadership is being handed to the named node.
    case transferred(to: String)
    /// The node became not eligible.
    case notEligible
}

/// What the driver must do after an event, in order.
///
/// Write actions carry a ``RequestID``; the driver reports the outcome with `writeSucceeded`/`writeFailed`
/// and a request timeout of its own (reported as ``WriteFailure/other``). Writes go to the lease key `leader`
/// of the bucket unless stated otherwise.
public enum ElectionAction: Sendable, Hashable {
    /// Publish `record` with `Nats-Expected-Last-Subject-Sequence: expectedSubjectRevision` (0 = KV create;
    /// a DEL/PURGE marker's revision = create over a tombstone) and
    /// `Nats-Expected-Last-Sequence: expectedStreamSequence`. The second header makes the write's revision
    /// equal `record.epoch`, which is how the epoch is tied to the stream sequence.
    case acquireLease(LeaseRecord, expectedSubjectRevision: UInt64, expectedStreamSequence: UInt64, RequestID)
    /// CAS update: publish `record` with `Nats-Expected-Last-Subject-Sequence: expectedRevision`.
    /// Used for renewals, claims of a lease naming this node, and transfers.
    case updateLease(LeaseRecord, expectedRevision: UInt64, RequestID)
    /// CAS delete: a `KV-Operation: DEL` marker with `Nats-Expected-Last-Subject-Sequence: expectedRevision`.
    case deleteLease(expectedRevision: UInt64, RequestID)
    /// Put the stepdown marker `cooldown.<nodeId>` (fire and forget; informational for operators and peers).
    case putCooldown(nodeId: String, duration: Duration)
    /// Read the lease key and the stream's last sequence; report with `leaseRead` or `leaseReadFailed`.
    case readLease
    /// Arm (or re-arm) a timer; report with `timerFired(id, now:)`.
    case scheduleTimer(TimerID, at: ElectionInstant)
    /// Disarm a timer.
    case cancelTimer(TimerID)
    /// This node is leader from now on: add the VIP with a kernel lifetime ending at `validUntil` (so a
    /// paused or crashed process loses the address on time), announce it, run OnBecomeLeader.
    case becameLeader(epoch: UInt64, validUntil: ElectionInstant)
    /// A renewal moved the self-fencing deadline: extend the VIP's lifetime to `validUntil`.
    case leadershipExtended(validUntil: ElectionInstant)
    /// Stop acting as leader now: remove the VIP, run OnLoseLeadership.
    case lostLeadership(LeadershipLossReason)
    /// The lease holder this node knows of changed (`nil`: none or unparseable). Run OnLeaderChange.
    case leaderChanged(nodeId: String?, epoch: UInt64?)
}
