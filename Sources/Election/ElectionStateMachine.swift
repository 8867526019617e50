/// The leader election of one node as a pure state machine: events in, ``ElectionAction``s out.
///
/// It performs no I/O, reads no clock and starts no task. A driver (an actor owning the NATS KV handle, the
/// timers and the VIP) feeds it every event with the node's monotonic `now` and executes the returned actions
/// in order. The safety argument (why at most one node acts as leader at any instant, and why epochs only
/// grow) is in ``ElectionTiming``; in short:
///
/// - acquire with a KV create (or a create over a tombstone) that also pins the stream's last sequence, so
///   the new epoch is the revision of the acquiring write;
/// - renew every heartbeat with a CAS on the last revision; a CAS failure demotes at once;
/// - act as leader only until `send time of the last successful renewal + TTL − safetyMargin`;
/// - followers acquire only through writes that fail while someone else's lease exists.
///
/// Driver contract: every write and read action gets exactly one result event (a timeout counts as
/// ``WriteFailure/other`` / `leaseReadFailed`); every scheduled timer fires once unless cancelled or
/// rescheduled; at start-up the VIP is absent (a driver removes one left over by a previous incarnation
/// before calling ``start(now:)``, since this incarnation may release that incarnation's lease at once);
/// watch entries of the lease key are delivered in revision order; after a reconnection the
/// watch is recreated and `connectionRestored` is reported.
public struct ElectionStateMachine: Sendable {
    /// The configuration (validated by ``init(config:)``).
    public let config: ElectionConfig
    /// The current role.
    public internal(set) var role: Role = .follower

    var started = false
    var connected = true
    var eligible = true
    var readInFlight = false
    /// A write failed: contend again only after a fresh read.
    var needsRead = false
    var view = LeaseView(state: .unknown, revision: 0, seenAt: .zero)
    /// The highest bucket revision seen anywhere: the guess for the stream's last sequence.
    var highestRevision: UInt64 = 0
    var leadership: Leadership?
    var pending: [RequestID: PendingWrite] = [:]
    var nextRequest: UInt64 = 1
    var timers: [TimerID: ElectionInstant] = [:]
    var cooldownUntil: ElectionInstant?
    var yieldUntil: ElectionInstant?
    var deferredTransfer: String?
    var reportedLeader: ReportedLeader?
    var actions: [ElectionAction] = []

    /// Creates a machine for one node.
    /// - Parameter config: The node's configuration.
    /// - Throws: ``ElectionConfigError`` if the configuration is invalid.
    public init(config: ElectionConfig) throws(ElectionConfigError) {
        try config.validate()
        self.config = config
    }

    /// Whether this node currently acts as leader (holds the VIP).
    public var isLeader: Bool { leadership != nil }
    /// The epoch of this node's current leadership.
    public var epoch: UInt64? { leadership?.epoch }
    /// The self-fencing deadline of this node's current leadership.
    public var validUntil: ElectionInstant? { leadership?.validUntil }
    /// Whether the node has seen the lease key's state (held by someone, free, or garbage) since it started.
    public var knowsLease: Bool { view.state != .unknown }
    /// Whether the lease key is held, as this node last saw it (by a parsed lease or by garbage).
    public var leaseHeld: Bool {
        if case .held = view.state { return true }
        return false
    }
    /// Whether the node may contend (see ``eligibilityChanged(_:now:)``).
    public var isEligible: Bool { eligible }
    /// The end of a running stepdown cooldown.
    public var cooldownEnd: ElectionInstant? { cooldownUntil }
    /// The holder of the lease as this node last saw it (`nil` if none, unknown or unparseable).
    public var knownLeader: LeaseRecord? { view.state.record }

    // MARK: Events

    /// The driver started: the watch is being created. Reads the lease and arms the safety net.
    /// - Parameter now: The node's monotonic time.
    public mutating func start(now: ElectionInstant) -> [ElectionAction] {
        begin(now)
        started = true
        read()
        schedule(.safetyNet, at: now + config.safetyNetInterval)
        return finish(now)
    }

    /// The watch delivered an entry of the lease key.
    /// - Parameters:
    ///   - entry: The entry (revision and operation).
    ///   - now: The node's monotonic time.
    public mutating func watchUpdate(_ entry: LeaseWatchEntry, now: ElectionInstant) -> [ElectionAction] {
        begin(now)
        switch entry.operation {
        case .put(let bytes): observe(.held(LeaseValue(bytes: bytes, revision: entry.revision)), revision: entry.revision, now: now)
        case .delete, .purge: observe(.tombstone, revision: entry.revision, now: now)
        }
        return finish(now)
    }

    /// The result of a ``ElectionAction/readLease``.
    /// - Parameters:
    ///   - snapshot: The lease key's last message and the stream's last sequence.
    ///   - now: The node's monotonic time.
    public mutating func leaseRead(_ snapshot: LeaseSnapshot, now: ElectionInstant) -> [ElectionAction] {
        begin(now)
        readInFlight = false
        needsRead = false
        highestRevision = max(highestRevision, snapshot.streamLastSequence)
        switch snapshot.entry {
        case .absent: observe(.absent, revision: snapshot.streamLastSequence, now: now)
        case .tombstone(let revision): observe(.tombstone, revision: revision, now: now)
        case .value(let revision, let bytes):
            observe(.held(LeaseValue(bytes: bytes, revision: revision)), revision: revision, now: now)
        }
        return finish(now)
    }

    /// A ``ElectionAction/readLease`` failed (timeout, no stream leader, disconnected). Retries shortly.
    /// - Parameter now: The node's monotonic time.
    public mutating func leaseReadFailed(now: ElectionInstant) -> [ElectionAction] {
        begin(now)
        readInFlight = false
        if leadership == nil { schedule(.acquireRetry, at: now + config.renewRetryInterval) }
        return finish(now)
    }

    /// A write action succeeded.
    /// - Parameters:
    ///   - request: The id carried by the action.
    ///   - revision: The revision (stream sequence) of the stored message.
    ///   - now: The node's monotonic time.
    public mutating func writeSucceeded(_ request: RequestID, revision: UInt64, now: ElectionInstant)
        -> [ElectionAction]
    {
        begin(now)
        if let write = pending.removeValue(forKey: request) {
            highestRevision = max(highestRevision, revision)
            handleSuccess(write, revision: revision, now: now)
        }
        return finish(now)
    }

    /// A write action failed.
    /// - Parameters:
    ///   - request: The id carried by the action.
    ///   - failure: Whether the write certainly did not happen (`wrongRevision`) or may have (`other`).
    ///   - now: The node's monotonic time.
    public mutating func writeFailed(_ request: RequestID, _ failure: WriteFailure, now: ElectionInstant)
        -> [ElectionAction]
    {
        begin(now)
        if let write = pending.removeValue(forKey: request) {
            handleFailure(write, failure, now: now)
        }
        return finish(now)
    }

    /// A timer scheduled by ``ElectionAction/scheduleTimer(_:at:)`` fired. Stale or early firings are ignored
    /// (an early one is re-armed).
    /// - Parameters:
    ///   - id: The timer.
    ///   - now: The node's monotonic time.
    public mutating func timerFired(_ id: TimerID, now: ElectionInstant) -> [ElectionAction] {
        begin(now)
        guard let due = timers[id] else { return finish(now) }
        guard now >= due else {
            actions.append(.scheduleTimer(id, at: due))
            return finish(now)
        }
        timers[id] = nil
        switch id {
        case .renew: renewTimerFired(now)
        case .selfFence: break  // `begin` has already demoted.
        case .leaseExpiry, .acquireRetry: return finish(now, probe: true)
        case .safetyNet:
            schedule(.safetyNet, at: now + config.safetyNetInterval)
            if leadership == nil { read() }
            return finish(now, probe: true)
        }
        return finish(now)
    }

    /// The NATS connection is down. A leader keeps its deadline and keeps retrying renewals.
    /// - Parameter now: The node's monotonic time.
    public mutating func connectionLost(now: ElectionInstant) -> [ElectionAction] {
        begin(now)
        connected = false
        return finish(now)
    }

    /// The NATS connection is back (and the watch recreated). Re-reads the lease; a leader renews at once.
    /// - Parameter now: The node's monotonic time.
    public mutating func connectionRestored(now: ElectionInstant) -> [ElectionAction] {
        begin(now)
        connected = true
        read(force: true)
        if leadership != nil, !renewalInFlight { sendRenewal(now) }
        return finish(now)
    }

    /// Graceful stepdown: demote, put the cooldown marker, delete the lease with a CAS on our own revision
    /// (after any renewal in flight resolves), then stay out for ``ElectionConfig/cooldown`` unless the lease
    /// is still free after ``ElectionConfig/cooldownYield`` (no other live node could take over).
    /// - Parameter now: The node's monotonic time.
    public mutating func stepDownRequested(now: ElectionInstant) -> [ElectionAction] {
        begin(now)
        if leadership != nil {
            cooldownUntil = now + config.cooldown
            yieldUntil = nil
            demote(.steppedDown)
            actions.append(.putCooldown(nodeId: config.nodeId, duration: config.cooldown))
        }
        return finish(now)
    }

    /// Hand the lease to `target` with a CAS update naming it under a new epoch. This node demotes before
    /// the write; the target becomes leader once its own CAS renewal of that record succeeds.
    /// Ignored unless this node is leader. The caller must pick a live, eligible target: a dead one costs a TTL.
    /// - Parameters:
    ///   - target: The node to hand over to.
    ///   - now: The node's monotonic time.
    public mutating func transferRequested(to target: String, now: ElectionInstant) -> [ElectionAction] {
        begin(now)
        if leadership != nil, target != config.nodeId {
            if renewalInFlight { deferredTransfer = target } else { performTransfer(to: target, now: now) }
        }
        return finish(now)
    }

    /// A stepdown cooldown of a previous incarnation of this node is still running (its `cooldown.<nodeId>`
    /// marker was read back at start-up): stay out for `remaining` (at most ``ElectionConfig/cooldown``), with
    /// the same yield rule as after a stepdown. Ignored while leader.
    /// - Parameters:
    ///   - remaining: How much of the cooldown is left.
    ///   - now: The node's monotonic time.
    public mutating func cooldownRestored(remaining: Duration, now: ElectionInstant) -> [ElectionAction] {
        begin(now)
        if leadership == nil, remaining > .zero {
            let until = now + min(remaining, config.cooldown)
            if cooldownUntil.map({ $0 < until }) ?? true { cooldownUntil = until }
            yieldUntil = nil
        }
        return finish(now)
    }

    /// An operator asked this node to lead (promote): any stepdown cooldown is over now.
    /// - Parameter now: The node's monotonic time.
    public mutating func cooldownCancelled(now: ElectionInstant) -> [ElectionAction] {
        begin(now)
        let wasCooling = inCooldown(now)
        cooldownUntil = nil
        yieldUntil = nil
        return finish(now, probe: wasCooling)
    }

    /// Maintenance or health input: a node that is not eligible never contends, and a leader that becomes
    /// not eligible demotes and releases the lease.
    /// - Parameters:
    ///   - eligible: Whether the node may hold the VIP.
    ///   - now: The node's monotonic time.
    public mutating func eligibilityChanged(_ eligible: Bool, now: ElectionInstant) -> [ElectionAction] {
        begin(now)
        self.eligible = eligible
        if !eligible { demote(.notEligible) }
        return finish(now, probe: eligible)
    }
}
