/// What one node knows about the lease key.
struct LeaseView: Sendable, Equatable {
    enum State: Sendable, Equatable {
        /// Nothing read yet (just started).
        case unknown
        /// The subject is empty; `revision` is the stream's last sequence at the read.
        case absent
        /// The last message is a DEL/PURGE marker at `revision`.
        case tombstone
        /// A lease (parsed or garbage) at `revision`.
        case held(LeaseValue)

        var record: LeaseRecord? {
            if case .held(let value) = self { return value.record }
            return nil
        }
    }

    var state: State
    /// The revision of the entry (for `absent`, the stream's last sequence when it was read).
    var revision: UInt64
    /// When this node first saw this revision: the lease expires on the server no later than `seenAt + TTL`
    /// (up to clock drift), because the entry was stored before it was seen.
    var seenAt: ElectionInstant
}

/// The state of this node's current leadership.
struct Leadership: Sendable, Equatable {
    var epoch: UInt64
    /// The revision of our last successful write of the lease: the next CAS expects it.
    var revision: UInt64
    /// Self-fencing deadline: send time of the last successful renewal + TTL − safety margin.
    var validUntil: ElectionInstant
    /// The record renewals write (with `acquired_at` once the watch shows the stamped value).
    var record: LeaseRecord
}

/// A write in flight.
struct PendingWrite: Sendable, Equatable {
    enum Purpose: Sendable, Equatable {
        /// Create (or create over a tombstone) with a new epoch.
        case acquire(LeaseRecord)
        /// CAS update of a lease naming this node (handed over, or our own from before a demotion or restart).
        case claim(LeaseRecord)
        /// CAS renewal of our current lease.
        case renew(LeaseRecord)
        /// CAS update naming another node.
        case transfer(LeaseRecord)
        /// CAS delete of a lease naming this node.
        case release
    }

    var purpose: Purpose
    /// `now` when the action was returned; never later than the real send, so deadlines derived from it are
    /// conservative.
    var sentAt: ElectionInstant
}

/// The last holder reported through ``ElectionAction/leaderChanged(nodeId:epoch:)``.
struct ReportedLeader: Sendable, Equatable {
    var nodeId: String?
    var epoch: UInt64?
}
