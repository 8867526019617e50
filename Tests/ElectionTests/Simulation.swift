@testable import Election

/// What a simulated node's driver feeds its state machine.
enum NodeInput: CustomStringConvertible {
    case start
    case watch(LeaseWatchEntry)
    case readOK(LeaseSnapshot)
    case readFailed
    case writeOK(RequestID, UInt64)
    case writeFailed(RequestID, WriteFailure)
    case timer(TimerID, generation: Int)
    case connectionLost
    case connectionRestored
    case stepDown
    case transfer(String)
    case eligible(Bool)

    var description: String {
        switch self {
        case .watch(let entry):
            switch entry.operation {
            case .put(let bytes): "watch put r\(entry.revision) \(LeaseValue(bytes: bytes))"
            case .delete, .purge: "watch del r\(entry.revision)"
            }
        case .readOK(let snapshot):
            switch snapshot.entry {
            case .absent: "read absent last=\(snapshot.streamLastSequence)"
            case .tombstone(let revision): "read tombstone r\(revision) last=\(snapshot.streamLastSequence)"
            case .value(let revision, let bytes):
                "read r\(revision) \(LeaseValue(bytes: bytes)) last=\(snapshot.streamLastSequence)"
            }
        case .timer(let id, _): "timer \(id)"
        case .start: "start"
        case .readFailed: "read failed"
        case .writeOK(let id, let revision): "write \(id) ok r\(revision)"
        case .writeFailed(let id, let failure): "write \(id) failed \(failure)"
        case .connectionLost: "connection lost"
        case .connectionRestored: "connection restored"
        case .stepDown: "stepdown requested"
        case .transfer(let target): "transfer to \(target) requested"
        case .eligible(let eligible): "eligible \(eligible)"
        }
    }
}

/// A request on its way to the KV server.
enum KVRequest {
    case write(RequestID?, subject: String, SimKV.Operation, expectedSubject: UInt64?, expectedStream: UInt64?)
    case read
}

/// Everything that happens in the simulated world.
enum SimEvent {
    case input(node: Int, incarnation: Int, NodeInput)
    case apply(node: Int, incarnation: Int, KVRequest, sentAt: Int64)
    case partition(node: Int, begins: Bool)
    case pause(node: Int, begins: Bool)
    case crash(node: Int)
    case restart(node: Int)
    case kvOutage(begins: Bool)
    case garbageWrite
    case stepDownLeader
    case transferLeader(to: Int)
    case eligibility(node: Int, Bool)
    case heal
    case crashLeaderForGood
    case handover(transfer: Bool)
    case checkHandover
    case checkLeader(String)
}

/// The knobs of one schedule, drawn from its seed.
struct SimParameters: CustomStringConvertible {
    var nodes: Int
    var ttl: Int64
    var heartbeat: Int64
    var faultPhase: Int64
    var healPhase: Int64
    var loss: Double
    /// The share of requests and replies that take up to a whole request timeout (GC, TCP retransmits).
    var slow: Double
    var maxNetDelay: Int64
    var maxWatchDelay: Int64
    var requestTimeout: Int64
    var maxExpiryLag: Int64
    var drift: Double
    var faultsPerKind: Int

    init(rng: inout SimRNG) {
        let shapes: [(Int64, Int64)] = [(1_000, 250), (2_000, 500), (3_000, 1_000), (10_000, 3_000)]
        let shape = shapes[Int(rng.next() % UInt64(shapes.count))]
        nodes = 3 + Int(rng.next() % 3)
        ttl = shape.0 * 1_000_000
        heartbeat = shape.1 * 1_000_000
        faultPhase = ttl * rng.between(3, 8)
        healPhase = ttl * 5
        loss = rng.unit() * 0.25
        slow = rng.unit() * 0.1
        maxNetDelay = ttl / 100
        maxWatchDelay = ttl / 20
        requestTimeout = ttl / 4
        maxExpiryLag = ttl / 25
        drift = rng.unit() * 0.02
        faultsPerKind = Int(rng.next() % 4)
    }

    var description: String {
        "nodes=\(nodes) ttl=\(ttl / 1_000_000)ms hb=\(heartbeat / 1_000_000)ms faults=\(faultPhase / 1_000_000)ms "
            + "loss=\(loss) drift=\(drift) faultsPerKind=\(faultsPerKind)"
    }

    func config(node: Int) -> ElectionConfig {
        ElectionConfig(nodeId: "n\(node)", leaseTTL: .nanoseconds(ttl), heartbeatInterval: .nanoseconds(heartbeat))
    }

    /// After faults heal, once the lease is free on the server (expired or deleted) a leader exists within
    /// this: the followers' expiry timers fire late by up to their watch delay and drift, or early and
    /// then retry; a failed probe costs a read and a retry interval; the create and its ack travel. If every
    /// node is cooling down the yield is added.
    func freeBound(allCoolingDown: Bool) -> Int64 {
        let config = config(node: 0)
        let retry = config.acquireRetryInterval.nanosecondCount
        return maxWatchDelay + Int64(2 * drift * Double(ttl)) + maxExpiryLag + 2 * (4 * maxNetDelay + retry)
            + (allCoolingDown ? config.cooldownYield.nanosecondCount : 0)
    }

    /// A graceful handover (stepdown or transfer) after healing completes within this: two writes and
    /// their acks, a watch delivery, and one re-read if the cooldown marker landed after the delete.
    var handoverBound: Int64 { maxWatchDelay + 6 * maxNetDelay }

    /// After faults heal a leader exists within TTL plus this: in-flight requests time out, a lease written
    /// just before the heal expires (late by the server's expiry lag), the followers' timers fire (late by
    /// their drift and watch delay), a create and its ack travel; if every node is cooling down, the yield.
    func livenessBound(allCoolingDown: Bool) -> Int64 {
        let config = config(node: 0)
        return requestTimeout + maxExpiryLag + maxWatchDelay + 6 * maxNetDelay + Int64(2 * drift * Double(ttl))
            + 3 * config.acquireRetryInterval.nanosecondCount + config.renewRetryInterval.nanosecondCount
            + (allCoolingDown ? config.cooldownYield.nanosecondCount : 0)
    }
}

/// One simulated host: its state machine, its clock and what the checker knows about it.
struct SimNode {
    var machine: ElectionStateMachine
    var incarnation = 0
    var up = true
    var pauseDepth = 0
    var buffered: [NodeInput] = []
    var partitionDepth = 0
    var clockOffset: Int64
    var clockRate: Double
    var timerGeneration: [TimerID: Int] = [:]
    /// Real time until which this host holds the VIP (its kernel lifetime), whatever its process does.
    var vipUntil: Int64 = .min
    var vipEpoch: UInt64 = 0
    var lastObservedEpoch: UInt64 = 0
    var lastWatchDelivery: Int64 = 0

    func local(_ real: Int64) -> ElectionInstant {
        ElectionInstant(nanoseconds: clockOffset + Int64((Double(real) * clockRate).rounded(.down)))
    }

    func real(_ instant: ElectionInstant) -> Int64 {
        Int64((Double(instant.nanoseconds - clockOffset) / clockRate).rounded(.down))
    }
}

/// Why a schedule failed.
struct SimFailure: Error, CustomStringConvertible {
    var seed: UInt64
    var message: String
    var description: String { "seed \(seed): \(message)" }
}

/// What a schedule exercised.
struct SimStats {
    var leaderships = 0
    var faultWindows = 0
    var clusterRestarts = 0
    var lostMessages = 0
    var garbageWrites = 0
    /// The longest time after healing that the lease stayed free on the server with no leader.
    var longestFreeGap: Int64 = 0
    /// The longest graceful handover after healing.
    var longestHandover: Int64 = 0
    /// Time from healing to the first instant a leader held the VIP (0 if one held it throughout).
    var recoveredAt: Int64?
}
