import Election
import Foundation
import JetStream
import NATSClient
import NATSMicro

/// A node's role as go-cluster reports it.
public enum NodeRole: String, Sendable, Hashable, Codable {
    /// The leader: holds the lease (and the VIP).
    case primary = "PRIMARY"
    /// Anyone else.
    case passive = "PASSIVE"
}

/// An error from a ``Node`` command.
public struct NodeError: Error, Sendable, Hashable, CustomStringConvertible {
    /// What went wrong.
    public var description: String
    /// Creates an error.
    public init(_ description: String) { self.description = description }

    static let notLeader = NodeError("not leader")
    static let notRunning = NodeError("node is not running")
}

/// One cluster member: runs the pure ``ElectionStateMachine`` against the NATS KV bucket
/// `KV_CLUSTER_<clusterId>`, calls its ``ClusterHooks`` and serves the `cluster_<clusterId>` micro service.
///
/// The actor is the single owner of the machine. Every input (watch entries, read and write results,
/// timer expiries, connection changes, commands) becomes one synchronous call into the machine with the
/// node's monotonic `now`, and the returned actions are executed in order before the next input:
/// lease writes go through one serial writer task (so they reach the server in the order the machine
/// issued them), reads and timers through short tasks that report back here, hooks through one serial
/// hook task (one at a time, in event order).
public actor Node {
    /// The options the node was created with.
    public nonisolated let options: NodeOptions
    let hooks: any ClusterHooks
    let leadershipGuard: (any LeadershipGuard)?
    /// Wakes waiters after each hook call (each change of leader, role or connection).
    nonisolated let changes = ChangeSignal()
    var machine: ElectionStateMachine
    let origin = ContinuousClock.now
    var startedAt: ContinuousClock.Instant?

    var running = false
    var isConnectedNow = false
    var connection: NATSConnection?
    var ownsConnection = false
    var js: JetStreamContext?
    var kv: KeyValue?
    var service: Service?

    /// Armed timers: the sleeping task and a token telling a firing apart from a re-armed successor.
    var timers: [TimerID: (token: UInt64, task: Task<Void, Never>)] = [:]
    var timerTokens: UInt64 = 0
    var watcher: KeyValueWatcher?
    var watchTask: Task<Void, Never>?
    var watchGeneration = 0
    var eventsTask: Task<Void, Never>?
    var writer: AsyncStream<WriteJob>.Continuation?
    var writerTask: Task<Void, Never>?
    var writesInFlight = 0
    var hookQueue: AsyncStream<HookCall>.Continuation?
    var hookTask: Task<Void, Never>?
    /// `acquired_at` of the last epoch this node wrote (the stamp renewals keep).
    var stamp: (epoch: UInt64, text: String)?

    /// Creates a node; nothing happens until ``start(connection:)``.
    /// - Parameters:
    ///   - options: Identity, timing, NATS options.
    ///   - hooks: Callbacks for leadership and connection changes.
    ///   - leadershipGuard: Synchronous callbacks for what must happen in step with the lease (the VIP).
    /// - Throws: ``ElectionConfigError`` if the election configuration is invalid.
    public init(
        options: NodeOptions, hooks: any ClusterHooks = NoHooks(), leadershipGuard: (any LeadershipGuard)? = nil
    ) throws {
        self.options = options
        self.hooks = hooks
        self.leadershipGuard = leadershipGuard
        self.machine = try ElectionStateMachine(config: options.election)
    }

    /// Creates a node from a loaded ``ClusterConfig``.
    /// - Parameters:
    ///   - config: The cluster configuration.
    ///   - hooks: Callbacks for leadership and connection changes.
    ///   - log: Diagnostics sink.
    /// - Throws: ``ElectionConfigError`` if the election configuration is invalid.
    public init(
        config: ClusterConfig, hooks: any ClusterHooks = NoHooks(), log: @escaping @Sendable (String) -> Void = { _ in }
    ) throws {
        try self.init(options: NodeOptions(config: config, log: log), hooks: hooks)
    }

    // MARK: Public state

    /// The NATS connection while the node runs.
    public var natsConnection: NATSConnection? { running ? connection : nil }

    /// The node's micro service while it runs.
    public var microService: Service? { service }

    /// `PRIMARY` while this node acts as leader, `PASSIVE` otherwise.
    public var role: NodeRole { isLeader ? .primary : .passive }
    /// Until when this node may act as leader (its self-fencing deadline), `nil` unless leader.
    public var leaderUntil: ContinuousClock.Instant? { machine.validUntil.map(instant) }
    /// Whether this node acts as leader now.
    /// (Past its self-fencing deadline a leader is not leader, even before the timer that demotes it has run:
    /// a process resumed after a pause answers PASSIVE at once.)
    public var isLeader: Bool { machine.isLeader && machine.validUntil.map { now() < $0 } ?? false }
    /// The lease holder this node knows of (itself while leader), `nil` if none or unknown.
    public var leader: String? { isLeader ? options.nodeId : machine.knownLeader?.nodeId }
    /// The epoch of the lease this node knows of (its own while leader), 0 if none.
    public var epoch: UInt64 { machine.epoch ?? machine.knownLeader?.epoch ?? 0 }
    /// Whether the NATS connection is up.
    public var connected: Bool { running && isConnectedNow }
    /// The election state machine's role (follower, candidate, leader, standby).
    public var electionRole: Role { machine.role }

    /// The status the `status` endpoint reports.
    public var status: NodeStatus {
        let uptime = startedAt.map { ContinuousClock.now - $0 } ?? .zero
        var status = NodeStatus(
            nodeId: options.nodeId, role: role.rawValue, leader: leader ?? "", epoch: epoch,
            uptimeMs: Int64(uptime.components.seconds * 1000 + uptime.components.attoseconds / 1_000_000_000_000_000),
            connected: connected)
        status.state = "\(machine.role)"
        status.eligible = machine.isEligible
        status.cooldown = inCooldown
        if let details = options.statusDetails?() {
            status.vips = details.vips
            status.notEligibleBecause = details.notEligibleBecause
            status.health = details.health
        }
        return status
    }

    // MARK: Lifecycle

    /// Connects (unless `connection` is given), creates or binds the bucket, starts the watch and the micro
    /// service, and enters the election.
    /// - Parameter connection: A connection to use instead of connecting with ``NodeOptions/nats``; the node
    ///   does not close it.
    /// - Throws: `NATSError`, ``JetStreamError``, ``KeyValueError`` or ``MicroError`` from setting up.
    public func start(connection given: NATSConnection? = nil) async throws {
        guard !running, startedAt == nil else { return }
        let connection: NATSConnection
        if let given { connection = given } else { connection = try await NATSConnection.connect(options.nats) }
        ownsConnection = given == nil
        self.connection = connection
        let ttl = options.election.leaseTTL
        let js = JetStreamContext(
            connection: connection, requestTimeout: max(.milliseconds(250), min(ttl / 2, .seconds(5))),
            retryBudget: min(ttl / 2, .seconds(10)))
        self.js = js
        do {
            kv = try await js.createKeyValue(
                KeyValueConfig(bucket: options.bucket, history: 1, ttl: ttl, replicas: options.bucketReplicas))
        } catch {
            if ownsConnection { await connection.close() }
            throw error
        }
        running = true
        isConnectedNow = connection.isConnected
        startedAt = .now
        startHookTask()
        startWriterTask()
        startEventsTask(connection)
        startWatch(reportRestored: false)
        do {
            service = try await NodeService.start(for: self, options: options, connection: connection)
        } catch {
            await stop()
            throw error
        }
        await restoreCooldown()
        execute(machine.start(now: now()))
    }

    /// Reads this node's `cooldown.<nodeId>` marker: a previous incarnation that stepped down moments ago
    /// (and was restarted, say by its service manager) stays out for the rest of its cooldown. A missing,
    /// unreadable or foreign marker changes nothing.
    func restoreCooldown() async {
        guard let kv else { return }
        let key = ClusterConfig.cooldownKey(nodeId: options.nodeId)
        do {
            guard let entry = try await kv.get(key), entry.operation == .put else { return }
            guard let marker = CooldownMarker(bytes: entry.value), marker.nodeId == options.nodeId
            else {
                options.log("\(key) holds an unparseable value: ignored")
                return
            }
            let remaining = marker.remaining()
            guard remaining > .zero else { return }
            options.log("\(options.nodeId) stepped down \(rfc3339(marker.until)) minus the cooldown: staying out for \(remaining)")
            execute(machine.cooldownRestored(remaining: remaining, now: now()))
        } catch {
            options.log("\(key) not read (\(error)): no cooldown restored")
        }
    }

    /// Leaves the cluster: a leader steps down first (its lease deleted with a CAS on its own revision, so a
    /// follower takes over at once), then the service, watch, timers and (if owned) the connection stop.
    public func stop() async {
        guard running else { return }
        if machine.isLeader {
            execute(machine.stepDownRequested(now: now()))
            let deadline = ContinuousClock.now + .seconds(2)
            while writesInFlight > 0, ContinuousClock.now < deadline {
                try? await Task.sleep(for: .milliseconds(5))
            }
        }
        running = false
        for timer in timers.values { timer.task.cancel() }
        timers = [:]
        let service = self.service
        self.service = nil
        await service?.stop()
        watchGeneration += 1
        let watcher = self.watcher
        self.watcher = nil
        watchTask?.cancel()
        await watcher?.stop()
        writer?.finish()
        hookQueue?.finish()
        eventsTask?.cancel()
        if ownsConnection, let connection { await connection.close() }
    }

    // MARK: Commands

    /// Graceful stepdown: stop acting as leader, write the cooldown marker, delete the lease with a CAS on
    /// this node's revision; another node takes over at once. This node stays out for the cooldown unless
    /// nobody else takes over.
    /// - Throws: ``NodeError`` "not leader".
    public func stepDown() throws {
        guard running else { throw NodeError.notRunning }
        guard machine.isLeader else { throw NodeError.notLeader }
        execute(machine.stepDownRequested(now: now()))
    }

    /// Hands the lease to `target` (a CAS update naming it under a new epoch). The target must be live: it
    /// is pinged over NATS first.
    /// - Parameter target: The node id to hand over to.
    /// - Throws: ``NodeError`` if this node is not leader, the target is this node or does not answer.
    public func transfer(to target: String) async throws {
        guard running, let connection else { throw NodeError.notRunning }
        guard machine.isLeader else { throw NodeError.notLeader }
        guard target != options.nodeId else { throw NodeError("cannot transfer to self") }
        guard KeyValue.isValidKey(target), !target.contains(".") else { throw NodeError("invalid target \"\(target)\"") }
        let subject = "\(options.service).ping.\(target)"
        do {
            _ = try await connection.request("", to: subject, timeout: min(options.election.leaseTTL / 2, .seconds(2)))
        } catch {
            throw NodeError("target \(target) does not answer: \(error)")
        }
        guard machine.isLeader else { throw NodeError.notLeader }
        execute(machine.transferRequested(to: target, now: now()))
    }

    /// Whether this node may contend. A node that is not eligible (maintenance, a failed health check, a
    /// tracked interface down) never acquires the lease; a leader that becomes not eligible demotes and
    /// releases the lease at once so another node takes over. Eligible again, it contends normally.
    /// - Parameter eligible: The new eligibility.
    public func setEligible(_ eligible: Bool) {
        guard eligible != machine.isEligible else { return }
        options.log("\(options.nodeId) is \(eligible ? "eligible again" : "not eligible")")
        execute(machine.eligibilityChanged(eligible, now: now()))
    }

    /// Clears a running stepdown cooldown (an operator asked this node to lead); it contends at once.
    public func cancelCooldown() {
        execute(machine.cooldownCancelled(now: now()))
    }

    /// Whether the node knows how the election stands: it leads, or it has seen the lease held (by a node
    /// or by garbage that will expire), or the lease is free and this node is not contending (not eligible,
    /// cooling down). A free lease that this node is contending for is not settled yet.
    public var electionSettled: Bool {
        machine.isLeader || machine.leaseHeld || (machine.knowsLease && machine.role == .standby)
    }

    /// Whether this node may contend (see ``setEligible(_:)``).
    public var isEligible: Bool { machine.isEligible }

    /// Whether a stepdown cooldown keeps this node out of the election now.
    public var inCooldown: Bool { machine.cooldownEnd.map { now() < $0 } ?? false }

    // MARK: Events

    /// The node's monotonic time for the machine.
    func now() -> ElectionInstant {
        let (seconds, attoseconds) = origin.duration(to: .now).components
        return ElectionInstant(nanoseconds: seconds * 1_000_000_000 + attoseconds / 1_000_000_000)
    }

    func timerFired(_ id: TimerID, token: UInt64) {
        guard running, timers[id]?.token == token else { return }
        timers[id] = nil
        execute(machine.timerFired(id, now: now()))
    }

    func watchEntry(_ entry: KeyValueEntry, generation: Int) {
        guard running, generation == watchGeneration, entry.key == leaderKey else { return }
        let operation: LeaseWatchEntry.Operation
        switch entry.operation {
        case .delete: operation = .delete
        case .purge: operation = .purge
        default:
            operation = .put(entry.value)
            if LeaseValue(bytes: entry.value, revision: entry.revision) == .garbage {
                options.log(
                    "lease key holds an unparseable or forged value at revision \(entry.revision): a foreign lease, respected until it expires")
            }
        }
        execute(machine.watchUpdate(LeaseWatchEntry(revision: entry.revision, operation: operation), now: now()))
    }

    func leaseRead(_ snapshot: LeaseSnapshot?) {
        guard running else { return }
        if let snapshot {
            execute(machine.leaseRead(snapshot, now: now()))
        } else {
            execute(machine.leaseReadFailed(now: now()))
        }
    }

    func writeDone(_ id: RequestID, _ result: WriteOutcome) {
        writesInFlight -= 1
        guard running else { return }
        switch result {
        case .stored(let revision): execute(machine.writeSucceeded(id, revision: revision, now: now()))
        case .failed(let failure): execute(machine.writeFailed(id, failure, now: now()))
        }
    }

    func connectionEvent(_ event: NATSEvent) {
        guard running else { return }
        switch event {
        case .disconnected(let error):
            isConnectedNow = false
            hookQueue?.yield(.disconnected(error.map { "\($0)" } ?? "disconnected"))
            execute(machine.connectionLost(now: now()))
        case .closed:
            isConnectedNow = false
            hookQueue?.yield(.disconnected(nil))
            execute(machine.connectionLost(now: now()))
        case .reconnected:
            isConnectedNow = true
            hookQueue?.yield(.reconnected)
            startWatch(reportRestored: true)
        default:
            break
        }
    }

    /// The watch was (re)created after a reconnection.
    func watchRestored(generation: Int) {
        guard running, generation == watchGeneration else { return }
        execute(machine.connectionRestored(now: now()))
    }
}

/// What `cluster_<cid>.status.<nid>` answers.
public struct NodeStatus: Codable, Sendable, Hashable {
    /// The node's id.
    public var nodeId: String
    /// "PRIMARY" or "PASSIVE".
    public var role: String
    /// The known leader's id ("" if none).
    public var leader: String
    /// The known leader's epoch (0 if none).
    public var epoch: UInt64
    /// Milliseconds since the node started.
    public var uptimeMs: Int64
    /// Whether the node's NATS connection is up.
    public var connected: Bool
    /// The election state: `follower`, `candidate`, `leader` or `standby` (not contending).
    public var state: String?
    /// Whether the node may contend.
    public var eligible: Bool?
    /// Whether a stepdown cooldown keeps it out.
    public var cooldown: Bool?
    /// The VIPs this node holds now (agent only).
    public var vips: [String]?
    /// Why the node is not eligible, one entry per reason (agent only).
    public var notEligibleBecause: [String]?
    /// Health check states by name: `healthy`, `failing` (agent only).
    public var health: [String: String]?

    /// A status with the seed's fields; the others are absent.
    public init(nodeId: String, role: String, leader: String, epoch: UInt64, uptimeMs: Int64, connected: Bool) {
        self.nodeId = nodeId
        self.role = role
        self.leader = leader
        self.epoch = epoch
        self.uptimeMs = uptimeMs
        self.connected = connected
    }
}

/// What an application adds to ``NodeStatus`` (the agent: VIPs held, eligibility reasons, health checks).
public struct NodeStatusDetails: Sendable {
    public var vips: [String]?
    public var notEligibleBecause: [String]?
    public var health: [String: String]?

    public init(vips: [String]? = nil, notEligibleBecause: [String]? = nil, health: [String: String]? = nil) {
        self.vips = vips
        self.notEligibleBecause = notEligibleBecause
        self.health = health
    }
}

/// The lease key.
let leaderKey = ClusterConfig.leaderKey
