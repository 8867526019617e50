// Leader-side decisions: becoming leader, renewing, self-fencing, demoting, transferring.

extension ElectionStateMachine {
    /// Whether a renewal of ours is in flight (at most one at a time, so acks cannot race each other).
    var renewalInFlight: Bool {
        pending.values.contains { write in
            if case .renew = write.purpose { return true }
            return false
        }
    }

    mutating func handleSuccess(_ write: PendingWrite, revision: UInt64, now: ElectionInstant) {
        switch write.purpose {
        case .acquire(let record), .claim(let record):
            observe(.held(.record(record)), revision: revision, now: now)
            becomeLeader(record, revision: revision, sentAt: write.sentAt, now: now)
        case .renew(let record):
            if leadership?.epoch == record.epoch {
                extend(revision: revision, sentAt: write.sentAt, now: now)
            } else {
                // Landed after we demoted: the lease still names us; `reconsider` claims or releases it.
                observe(.held(.record(record)), revision: revision, now: now)
            }
            runDeferredTransfer(now)
        case .transfer(let record):
            observe(.held(.record(record)), revision: revision, now: now)
        case .release:
            observe(.tombstone, revision: revision, now: now)
        }
    }

    mutating func handleFailure(_ write: PendingWrite, _ failure: WriteFailure, now: ElectionInstant) {
        if case .renew(let record) = write.purpose, leadership?.epoch == record.epoch {
            if failure == .wrongRevision {
                // Someone else wrote the key: our lease is gone. Demote at once, then learn who holds it.
                demote(.casFailed)
                needsRead = true
            } else {
                // No verdict (NATS down, stream leader election): keep trying until the deadline.
                schedule(.renew, at: now + config.renewRetryInterval)
            }
            runDeferredTransfer(now)
            return
        }
        // Acquire, claim, transfer, release, or a renewal of a leadership already lost: whatever happened,
        // our view may be stale (or the write may have landed). Contend again only after a fresh read.
        needsRead = true
        if failure == .other { schedule(.acquireRetry, at: now + config.renewRetryInterval) }
    }

    /// Self-fencing: this leadership is valid until `sentAt + TTL − safetyMargin`, where `sentAt` is no
    /// later than the real send of the write, which the server stored no earlier than that, so the lease
    /// lives on the server until at least `sentAt + TTL`. See ``ElectionTiming``.
    mutating func becomeLeader(_ record: LeaseRecord, revision: UInt64, sentAt: ElectionInstant, now: ElectionInstant) {
        let validUntil = sentAt + config.leaseTTL - config.safetyMargin
        // Not eligible any more, the ack came too late (paused process), or a newer write superseded ours:
        // leave it to `reconsider` (release, claim again, or follow).
        guard eligible, now < validUntil, view.revision == revision else { return }
        leadership = Leadership(epoch: record.epoch, revision: revision, validUntil: validUntil, record: record)
        cooldownUntil = nil
        yieldUntil = nil
        cancel(.leaseExpiry)
        cancel(.acquireRetry)
        actions.append(.becameLeader(epoch: record.epoch, validUntil: validUntil))
        schedule(.selfFence, at: validUntil)
        schedule(.renew, at: max(now, sentAt + config.heartbeatInterval))
    }

    /// A renewal succeeded: move the CAS revision and the deadline forward, schedule the next renewal.
    mutating func extend(revision: UInt64, sentAt: ElectionInstant, now: ElectionInstant) {
        guard var current = leadership else { return }
        current.revision = max(current.revision, revision)
        let validUntil = sentAt + config.leaseTTL - config.safetyMargin
        if validUntil > current.validUntil {
            current.validUntil = validUntil
            actions.append(.leadershipExtended(validUntil: validUntil))
            schedule(.selfFence, at: validUntil)
        }
        leadership = current
        observe(.held(.record(current.record)), revision: revision, now: now)
        schedule(.renew, at: max(now, sentAt + config.heartbeatInterval))
    }

    mutating func renewTimerFired(_ now: ElectionInstant) {
        // With a renewal in flight its result schedules the next one.
        guard leadership != nil, !renewalInFlight else { return }
        sendRenewal(now)
    }

    mutating func sendRenewal(_ now: ElectionInstant) {
        guard let current = leadership else { return }
        let id = send(.renew(current.record), now: now)
        actions.append(.updateLease(current.record, expectedRevision: current.revision, id))
    }

    /// Demotes first (the VIP goes before anyone else can be handed the lease), then writes a record naming
    /// the target with the next epoch, as a CAS on our revision.
    mutating func performTransfer(to target: String, now: ElectionInstant) {
        guard let current = leadership else { return }
        let record = LeaseRecord(nodeId: target, epoch: current.epoch + 1)
        demote(.transferred(to: target))
        let id = send(.transfer(record), now: now)
        actions.append(.updateLease(record, expectedRevision: current.revision, id))
    }

    mutating func runDeferredTransfer(_ now: ElectionInstant) {
        guard let target = deferredTransfer else { return }
        deferredTransfer = nil
        performTransfer(to: target, now: now)
    }

    /// Stops acting as leader: the `lostLeadership` action comes before any write that could let another
    /// node in.
    mutating func demote(_ reason: LeadershipLossReason) {
        guard leadership != nil else { return }
        leadership = nil
        deferredTransfer = nil
        actions.append(.lostLeadership(reason))
        cancel(.renew)
        cancel(.selfFence)
    }
}
