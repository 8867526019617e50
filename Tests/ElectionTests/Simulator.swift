@testable import Election

/// The trace of a replayed schedule (a class so that logging needs no exclusive access to the world).
final class SimTrace {
    var lines: [String]
    init(_ lines: [String]) { self.lines = lines }
}

/// A deterministic world of N nodes, one fake KV server, a lossy network, faults and a checker.
/// Every random choice comes from one seed, so a failing schedule replays exactly (`SC_SIM_SEED`).
struct Simulator {
    let seed: UInt64
    var rng: SimRNG
    let parameters: SimParameters
    var now: Int64 = 0
    var kv: SimKV
    var queue = EventQueue<SimEvent>()
    var nodes: [SimNode] = []
    var healed = false
    var kvOutageDepth = 0
    var lastLeaderEpoch: UInt64 = 0
    var stats = SimStats()
    var healedAt: Int64?
    var freeGap: (start: Int64, allowed: Int64)?
    var handover: (start: Int64, label: String, steppedDown: Int?)?
    let trace: SimTrace?
    var failure: String?

    init(seed: UInt64, tracing: Bool = false) {
        self.seed = seed
        rng = SimRNG(seed: seed)
        parameters = SimParameters(rng: &rng)
        kv = SimKV(ttl: parameters.ttl)
        trace = tracing ? SimTrace(["seed \(seed): \(parameters)"]) : nil
        for index in 0..<parameters.nodes {
            // swift-format-ignore
            let machine = try! ElectionStateMachine(config: parameters.config(node: index))
            let rate = 1 + (rng.unit() * 2 - 1) * parameters.drift
            nodes.append(SimNode(machine: machine, clockOffset: rng.between(0, 1 << 40), clockRate: rate))
            queue.push(rng.between(0, parameters.ttl / 20), .input(node: index, incarnation: 0, .start))
        }
        scheduleFaults()
    }

    /// Runs the schedule to its end; returns the failure, if any.
    mutating func run() -> SimFailure? {
        let end = parameters.faultPhase + parameters.healPhase
        while failure == nil, let (time, event) = queue.pop(), time <= end {
            now = time
            handle(event)
            checkHolders()
            checkFailover()
        }
        return failure.map { SimFailure(seed: seed, message: $0) }
    }

    func log(_ line: @autoclosure () -> String) {
        trace?.lines.append("\(Double(now) / 1e6)ms \(line())")
    }

    mutating func fail(_ message: String) {
        log("VIOLATION: \(message)")
        if failure == nil { failure = message }
    }

    // MARK: Faults

    mutating func scheduleFaults() {
        let phase = parameters.faultPhase
        let ttl = parameters.ttl
        for _ in 0..<parameters.faultsPerKind {
            let node = Int(rng.next() % UInt64(parameters.nodes))
            window(.partition(node: node, begins: true), .partition(node: node, begins: false), ttl / 10, ttl * 5 / 2)
            let paused = Int(rng.next() % UInt64(parameters.nodes))
            window(.pause(node: paused, begins: true), .pause(node: paused, begins: false), ttl / 5, ttl * 5 / 2)
            let crashed = Int(rng.next() % UInt64(parameters.nodes))
            window(.crash(node: crashed), .restart(node: crashed), 0, ttl * 2)
            window(.kvOutage(begins: true), .kvOutage(begins: false), ttl / 10, ttl * 6 / 5)
            let ineligible = Int(rng.next() % UInt64(parameters.nodes))
            window(.eligibility(node: ineligible, false), .eligibility(node: ineligible, true), ttl / 10, ttl * 2)
            queue.push(rng.between(0, phase), .stepDownLeader)
            queue.push(rng.between(0, phase), .transferLeader(to: Int(rng.next() % UInt64(parameters.nodes))))
            if rng.chance(0.5) { queue.push(rng.between(0, phase), .garbageWrite) }
        }
        if rng.chance(0.1) {
            // Every node crashes and restarts: the key expires meanwhile; epochs must still grow.
            let at = rng.between(0, phase * 2 / 3)
            stats.clusterRestarts += 1
            for node in 0..<parameters.nodes {
                queue.push(at, .crash(node: node))
                queue.push(min(at + ttl * 3 / 2, phase), .restart(node: node))
            }
        }
        queue.push(phase, .heal)
        queue.push(phase + parameters.healPhase, .checkLeader("at the end"))
    }

    mutating func window(_ begin: SimEvent, _ end: SimEvent, _ shortest: Int64, _ longest: Int64) {
        let start = rng.between(0, parameters.faultPhase)
        stats.faultWindows += 1
        queue.push(start, begin)
        queue.push(min(start + rng.between(shortest, longest), parameters.faultPhase), end)
    }

    mutating func handle(_ event: SimEvent) {
        switch event {
        case .input(let node, let incarnation, let input): deliver(node, incarnation, input)
        case .apply(let node, let incarnation, let request, let sentAt): apply(node, incarnation, request, sentAt)
        case .partition(let node, let begins): partition(node, begins)
        case .pause(let node, let begins): pause(node, begins)
        case .crash(let node): crash(node)
        case .restart(let node): restart(node)
        case .kvOutage(let begins): kvOutageDepth += begins ? 1 : -1
        case .garbageWrite:
            let lag = rng.between(0, parameters.maxExpiryLag)
            // Half unparseable bytes, half a forged lease (a real node's name or a stranger's) whose epoch is
            // far above anything written: it must be treated as garbage, never reported or built upon.
            let forgedName = rng.chance(0.5) ? "intruder" : "n\(rng.next() % UInt64(parameters.nodes))"
            let bytes =
                rng.chance(0.5)
                ? Array("garbage{".utf8)
                : LeaseRecord(nodeId: forgedName, epoch: kv.lastSequence + 1000).encoded(stampingWith: "forged")
            let revision = kv.write(
                "leader", .put(bytes), expectedSubject: nil, expectedStream: nil, now: now, expiryLag: lag)
            log("operator wrote garbage r\(revision ?? 0): \(String(decoding: bytes, as: UTF8.self))")
            stats.garbageWrites += 1
            if let revision { broadcastWatch(LeaseWatchEntry(revision: revision, operation: .put(bytes))) }
        case .stepDownLeader:
            if let leader = currentLeader() { deliver(leader, nodes[leader].incarnation, .stepDown) }
        case .transferLeader(let target):
            if let leader = currentLeader() { deliver(leader, nodes[leader].incarnation, .transfer("n\(target)")) }
        case .eligibility(let node, let eligible): deliver(node, nodes[node].incarnation, .eligible(eligible))
        case .heal: heal()
        case .handover(let transfer): startHandover(transfer: transfer)
        case .checkHandover:
            if let handover { fail("\(handover.label) left no leader after \(parameters.handoverBound / 1_000_000)ms") }
        case .crashLeaderForGood:
            // kill -9 after healing: the survivors must take over within TTL plus milliseconds.
            if let leader = currentLeader() { crash(leader) }
        case .checkLeader(let label): checkLeader(label)
        }
    }

    mutating func heal() {
        log("HEAL")
        healed = true
        healedAt = now
        let bound = parameters.livenessBound(allCoolingDown: allCoolingDown())
        queue.push(now + parameters.ttl + bound, .checkLeader("within TTL + \(bound / 1_000_000)ms of healing"))
        queue.push(now + parameters.ttl + bound + parameters.ttl / 4, .crashLeaderForGood)
        queue.push(now + parameters.ttl * 7 / 2, .handover(transfer: true))
        queue.push(now + parameters.ttl * 21 / 5, .handover(transfer: false))
        kvOutageDepth = 0
        for index in nodes.indices {
            if !nodes[index].up { restart(index) }
            if nodes[index].pauseDepth > 0 {
                nodes[index].pauseDepth = 1
                pause(index, false)
            }
            if nodes[index].partitionDepth > 0 {
                nodes[index].partitionDepth = 1
                partition(index, false)
            }
            deliver(index, nodes[index].incarnation, .eligible(true))
        }
    }

    mutating func partition(_ node: Int, _ begins: Bool) {
        guard begins || nodes[node].partitionDepth > 0 else { return }
        nodes[node].partitionDepth += begins ? 1 : -1
        log("n\(node) partition \(begins ? "begins" : "ends") depth=\(nodes[node].partitionDepth)")
        if begins && nodes[node].partitionDepth == 1 {
            deliver(node, nodes[node].incarnation, .connectionLost)
        } else if !begins && nodes[node].partitionDepth == 0 {
            deliver(node, nodes[node].incarnation, .connectionRestored)
        }
    }

    mutating func pause(_ node: Int, _ begins: Bool) {
        guard begins || nodes[node].pauseDepth > 0 else { return }
        nodes[node].pauseDepth += begins ? 1 : -1
        log("n\(node) pause \(begins ? "begins" : "ends") depth=\(nodes[node].pauseDepth)")
        guard nodes[node].pauseDepth == 0 else { return }
        let backlog = nodes[node].buffered
        nodes[node].buffered = []
        for input in backlog { deliver(node, nodes[node].incarnation, input) }
    }

    mutating func crash(_ node: Int) {
        guard nodes[node].up else { return }
        log("n\(node) CRASH (VIP lifetime runs to \(nodes[node].vipUntil / 1_000_000)ms)")
        nodes[node].up = false
        nodes[node].incarnation += 1
        nodes[node].buffered = []
        nodes[node].pauseDepth = 0
    }

    mutating func restart(_ node: Int) {
        guard !nodes[node].up else { return }
        log("n\(node) RESTART")
        // swift-format-ignore
        nodes[node].machine = try! ElectionStateMachine(config: parameters.config(node: node))
        nodes[node].up = true
        // The driver removes a VIP left over by the previous incarnation before it starts the machine.
        nodes[node].vipUntil = min(nodes[node].vipUntil, now)
        nodes[node].timerGeneration = [:]
        nodes[node].lastObservedEpoch = 0
        deliver(node, nodes[node].incarnation, .start)
        if nodes[node].partitionDepth > 0 { deliver(node, nodes[node].incarnation, .connectionLost) }
    }

    func currentLeader() -> Int? {
        nodes.indices.first { nodes[$0].up && nodes[$0].machine.isLeader }
    }

    mutating func checkLeader(_ label: String) {
        guard let leader = nodes.indices.first(where: { nodes[$0].up && nodes[$0].vipUntil > now }),
            nodes[leader].machine.isLeader
        else { return fail("no leader \(label)") }
        log("check ok: n\(leader) leads \(label)")
        guard label == "at the end" else { return }
        for node in nodes.indices where nodes[node].up && nodes[node].machine.knownLeader?.nodeId != "n\(leader)" {
            fail("n\(node) believes the leader is \(nodes[node].machine.knownLeader.map(String.init(describing:)) ?? "nobody"), not n\(leader)")
        }
    }

    /// Reactivity, after the faults healed (the leader is then killed for good): once a lease written after
    /// healing is free on the server, a leader follows within
    /// ``SimParameters/freeBound(allCoolingDown:)`` (a crashed leader costs the TTL plus milliseconds).
    mutating func checkFailover() {
        guard let healedAt else { return }
        if nodes.indices.contains(where: { nodes[$0].vipUntil > now }) {
            if let gap = freeGap { stats.longestFreeGap = max(stats.longestFreeGap, now - gap.start) }
            freeGap = nil
            return
        }
        if let gap = freeGap {
            if now - gap.start > gap.allowed {
                fail("the lease has been free since \(Double(gap.start) / 1e6)ms and nobody leads")
            }
        } else if let free = kv.freeSince(now: now), kv.leaseWrittenAt >= healedAt {
            // (A lease last written before healing may have been seen first only at healing, by a node
            // that was paused, cut off or restarting: its expiry is then bounded by the TTL check instead.)
            freeGap = (max(free, healedAt), parameters.freeBound(allCoolingDown: allCoolingDown()))
        }
    }

    /// A stepdown or a transfer (to a live node) after healing: a new leader must follow within
    /// ``SimParameters/handoverBound``, measured from the request.
    mutating func startHandover(transfer: Bool) {
        guard let leader = currentLeader() else { return fail("no leader to hand over from") }
        if transfer, let target = nodes.indices.first(where: { $0 != leader && nodes[$0].up }) {
            handover = (now, "transfer from n\(leader) to n\(target)", nil)
            deliver(leader, nodes[leader].incarnation, .transfer("n\(target)"))
        } else {
            handover = (now, "stepdown of n\(leader)", leader)
            deliver(leader, nodes[leader].incarnation, .stepDown)
        }
        queue.push(now + parameters.handoverBound, .checkHandover)
    }

    func allCoolingDown() -> Bool {
        nodes.indices.allSatisfy { node in
            nodes[node].machine.cooldownUntil.map { nodes[node].local(now) < $0 } ?? false
        }
    }

    /// The timing argument itself, checked after every event: while a host holds the VIP the server still
    /// holds its lease (same node, same epoch), unless an operator overwrote the key with garbage.
    mutating func checkHolders() {
        for node in nodes.indices where nodes[node].vipUntil > now {
            if healedAt != nil && stats.recoveredAt == nil { stats.recoveredAt = now - healedAt! }
            // An operator's garbage write: the leader learns of it from the watch or its next CAS.
            if kv.holdsGarbage(now: now) { continue }
            let lease = kv.currentLease(now: now)
            if lease?.nodeId != "n\(node)" || lease?.epoch != nodes[node].vipEpoch {
                fail("n\(node) holds the VIP (epoch \(nodes[node].vipEpoch)) but the server holds \(lease.map(String.init(describing:)) ?? "no lease")")
            }
        }
    }
}
