// Follower-side decisions: what the node knows about the lease, and when it contends.
//
// Safety of every acquisition path rests on the server, never on local timing:
// - `acquireLease` expects the subject to be empty (0) or to end in a tombstone we read; it fails while any
//   lease exists, so a follower's early timer costs one failed request, never a second leader.
// - `claim` (CAS update on a revision we read) is only used for a lease that names this node: nobody else
//   renews it, and the CAS fails if the key expired or was replaced since the read.

extension ElectionStateMachine {
    /// Starts an event: clears the output and demotes if the self-fencing deadline has passed (a paused
    /// process must never act on a stale leadership, whatever event wakes it up).
    mutating func begin(_ now: ElectionInstant) {
        actions.removeAll(keepingCapacity: true)
        if let leadership, now >= leadership.validUntil { demote(.selfFenced) }
    }

    /// Ends an event: re-evaluates contention, updates the role, reports holder changes, returns the actions.
    /// - Parameter probe: Whether a presumably expired foreign lease may be probed with a create now (only
    ///   timer events probe, so failures cannot loop).
    mutating func finish(_ now: ElectionInstant, probe: Bool = false) -> [ElectionAction] {
        if started { reconsider(now, probe: probe) }
        updateRole(now)
        reportLeader()
        let out = actions
        actions.removeAll()
        return out
    }

    /// Records an entry of the lease key unless it is older than what we know (watch and reads can race).
    mutating func observe(_ state: LeaseView.State, revision: UInt64, now: ElectionInstant) {
        highestRevision = max(highestRevision, revision)
        if view.state != .unknown, revision <= view.revision {
            // Older, or the same entry again (keep its first `seenAt`). The one exception: the subject found
            // empty at a stream sequence equal to the lease's revision means that lease expired.
            guard revision == view.revision, state == .absent, view.state != .absent else { return }
        }
        view = LeaseView(state: state, revision: revision, seenAt: now)
        if case .held(let value) = state, value.record?.nodeId != config.nodeId { yieldUntil = nil }
        checkLeadership()
    }

    /// A leader compares each newer entry with its own lease: its own write (ack still in flight or lost)
    /// moves the CAS revision forward; anything else means the lease is gone, so it demotes at once.
    mutating func checkLeadership() {
        guard let current = leadership else { return }
        switch view.state {
        case .held(.record(let record)) where record.nodeId == config.nodeId && record.epoch == current.epoch:
            if view.revision >= current.revision {
                leadership?.revision = view.revision
                leadership?.record = record
            }
        case .held:
            if view.revision > current.revision { demote(.superseded) }
        case .absent, .tombstone:
            if view.revision >= current.revision { demote(.superseded) }
        case .unknown:
            break
        }
    }

    /// Decides whether to contend, given what we know. Idempotent; runs at the end of every event.
    mutating func reconsider(_ now: ElectionInstant, probe: Bool) {
        guard leadership == nil, pending.isEmpty, connected else { return }
        if needsRead { return read() }
        switch view.state {
        case .unknown:
            read()
        case .absent:
            tryAcquire(now, expectedSubjectRevision: 0)
        case .tombstone:
            tryAcquire(now, expectedSubjectRevision: view.revision)
        case .held(.record(let record)) where record.nodeId == config.nodeId:
            if eligible && !inCooldown(now) { claim(record, now: now) } else { release(now: now) }
        case .held:
            waitForExpiry(now, probe: probe)
        }
    }

    /// A foreign (or garbage) lease: MaxAge expiry produces no watch event, so arm a local timer at
    /// `seenAt + TTL`; once it has passed, probe with a create, retrying every `acquireRetryInterval` for
    /// `expiryRetryWindow` (our clock may run fast, the server may expire a little late). After that only the
    /// safety net probes: a lease that outlives that window is being renewed by someone we cannot see.
    mutating func waitForExpiry(_ now: ElectionInstant, probe: Bool) {
        let expiry = view.seenAt + config.leaseTTL
        if now < expiry {
            if timers[.leaseExpiry] != expiry { schedule(.leaseExpiry, at: expiry) }
        } else if probe {
            tryAcquire(now, expectedSubjectRevision: 0)
        } else if now < expiry + config.expiryRetryWindow, timers[.acquireRetry] == nil {
            schedule(.acquireRetry, at: now + config.acquireRetryInterval)
        }
    }

    /// Sends an acquisition unless not eligible or still yielding during a cooldown.
    ///
    /// Epoch: the write pins `Nats-Expected-Last-Sequence` to our guess `L` of the stream's last sequence and
    /// carries epoch `L + 1`, so it succeeds only as revision `L + 1`: the epoch IS the revision of the
    /// acquiring write. Stream sequences never go backwards (not on expiry, not when every node restarts,
    /// not for a node that never saw the cluster), so neither do epochs. A stale guess only fails the write.
    mutating func tryAcquire(_ now: ElectionInstant, expectedSubjectRevision: UInt64) {
        guard eligible else { return }
        if inCooldown(now) {
            let until = yieldUntil ?? (now + config.cooldownYield)
            yieldUntil = until
            if now < until {
                if timers[.acquireRetry] != until { schedule(.acquireRetry, at: until) }
                return
            }
        }
        let record = LeaseRecord(nodeId: config.nodeId, epoch: highestRevision + 1)
        let id = send(.acquire(record), now: now)
        actions.append(
            .acquireLease(
                record, expectedSubjectRevision: expectedSubjectRevision, expectedStreamSequence: highestRevision, id))
    }

    /// Takes over a lease naming this node (a transfer to us, or our own from before a demotion or restart)
    /// with a CAS on the revision we read and the epoch bumped by one: the claim's revision is above the old
    /// record's revision, which is at least its epoch, so `epoch + 1` stays at or below the claim's revision
    /// and every later acquisition (epoch = its own, higher revision) is above it.
    mutating func claim(_ record: LeaseRecord, now: ElectionInstant) {
        let claimed = LeaseRecord(nodeId: config.nodeId, epoch: record.epoch + 1)
        let id = send(.claim(claimed), now: now)
        actions.append(.updateLease(claimed, expectedRevision: view.revision, id))
    }

    /// Deletes a lease naming this node that we do not want (cooling down, not eligible), with a CAS on its
    /// revision so a successor's lease can never be deleted.
    mutating func release(now: ElectionInstant) {
        let id = send(.release, now: now)
        actions.append(.deleteLease(expectedRevision: view.revision, id))
    }

    /// Asks for a fresh read unless one is in flight.
    mutating func read(force: Bool = false) {
        guard force || !readInFlight else { return }
        readInFlight = true
        actions.append(.readLease)
    }

    /// Whether a stepdown cooldown is running.
    func inCooldown(_ now: ElectionInstant) -> Bool {
        if let cooldownUntil { return now < cooldownUntil }
        return false
    }

    mutating func updateRole(_ now: ElectionInstant) {
        if leadership != nil {
            role = .leader
        } else if pending.values.contains(where: \.isContending) {
            role = .candidate
        } else if !eligible || inCooldown(now) {
            role = .standby
        } else {
            role = .follower
        }
    }

    mutating func reportLeader() {
        let current: ReportedLeader
        if let leadership {
            current = ReportedLeader(nodeId: config.nodeId, epoch: leadership.epoch)
        } else if view.state == .unknown {
            return
        } else {
            current = ReportedLeader(nodeId: view.state.record?.nodeId, epoch: view.state.record?.epoch)
        }
        guard current != reportedLeader else { return }
        reportedLeader = current
        actions.append(.leaderChanged(nodeId: current.nodeId, epoch: current.epoch))
    }

    /// Registers a write and returns its id.
    mutating func send(_ purpose: PendingWrite.Purpose, now: ElectionInstant) -> RequestID {
        let id = RequestID(nextRequest)
        nextRequest += 1
        pending[id] = PendingWrite(purpose: purpose, sentAt: now)
        return id
    }

    mutating func schedule(_ id: TimerID, at instant: ElectionInstant) {
        timers[id] = instant
        actions.append(.scheduleTimer(id, at: instant))
    }

    mutating func cancel(_ id: TimerID) {
        if timers.removeValue(forKey: id) != nil { actions.append(.cancelTimer(id)) }
    }
}

extension PendingWrite {
    var isContending: Bool {
        switch purpose {
        case .acquire, .claim: true
        case .renew, .transfer, .release: false
        }
    }
}
