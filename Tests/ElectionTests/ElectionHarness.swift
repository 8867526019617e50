@testable import Election

/// One machine with a hand-driven clock, for focused tests of single promises.
struct Harness {
    var machine: ElectionStateMachine
    var now = ElectionInstant(nanoseconds: 1_000_000_000)
    var config: ElectionConfig { machine.config }

    init(
        _ nodeId: String = "a", ttl: Duration = .seconds(10), heartbeat: Duration = .seconds(3),
        configure: (inout ElectionConfig) -> Void = { _ in }
    ) {
        var config = ElectionConfig(nodeId: nodeId, leaseTTL: ttl, heartbeatInterval: heartbeat)
        configure(&config)
        // swift-format-ignore
        machine = try! ElectionStateMachine(config: config)
    }

    mutating func advance(_ duration: Duration) { now = now + duration }

    /// Starts the machine and answers its read with an empty key at `lastSequence`; returns the actions.
    mutating func startOnEmptyKey(lastSequence: UInt64 = 0) -> [ElectionAction] {
        _ = machine.start(now: now)
        return machine.leaseRead(LeaseSnapshot(entry: .absent, streamLastSequence: lastSequence), now: now)
    }

    /// Starts, acquires at `revision` and returns the acquisition's send time.
    @discardableResult
    mutating func becomeLeader(revision: UInt64 = 8) -> ElectionInstant {
        let sentAt = now
        let actions = startOnEmptyKey(lastSequence: revision - 1)
        _ = machine.writeSucceeded(actions.writeID!, revision: revision, now: now)
        return sentAt
    }

    mutating func watchPut(_ revision: UInt64, _ bytes: [UInt8]) -> [ElectionAction] {
        machine.watchUpdate(LeaseWatchEntry(revision: revision, operation: .put(bytes)), now: now)
    }

    mutating func fire(_ timer: TimerID) -> [ElectionAction] {
        machine.timerFired(timer, now: now)
    }
}

func leaseBytes(_ nodeId: String, _ epoch: UInt64) -> [UInt8] {
    LeaseRecord(nodeId: nodeId, epoch: epoch).encoded(stampingWith: "2026-11-27T00:00:00Z")
}

extension Array where Element == ElectionAction {
    /// The request id of the first write action.
    var writeID: RequestID? {
        for action in self {
            switch action {
            case .acquireLease(_, _, _, let id), .updateLease(_, _, let id), .deleteLease(_, let id): return id
            default: continue
            }
        }
        return nil
    }

    /// The write actions only.
    var writes: [ElectionAction] {
        filter { action in
            switch action {
            case .acquireLease, .updateLease, .deleteLease: true
            default: false
            }
        }
    }

    func scheduled(_ timer: TimerID) -> ElectionInstant? {
        for case .scheduleTimer(let id, let at) in self where id == timer { return at }
        return nil
    }

    var lostLeadership: LeadershipLossReason? {
        for case .lostLeadership(let reason) in self { return reason }
        return nil
    }

    var becameLeader: UInt64? {
        for case .becameLeader(let epoch, _) in self { return epoch }
        return nil
    }
}
