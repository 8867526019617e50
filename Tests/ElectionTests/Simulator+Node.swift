@testable import Election

extension Simulator {
    /// Hands an input to a node's driver: dropped if the process is gone, buffered while it is paused,
    /// turned into a failure if the connection is down.
    mutating func deliver(_ node: Int, _ incarnation: Int, _ input: NodeInput) {
        guard nodes[node].up, nodes[node].incarnation == incarnation else { return }
        if nodes[node].pauseDepth > 0 { return nodes[node].buffered.append(input) }
        var input = input
        if nodes[node].partitionDepth > 0 {
            switch input {
            case .watch: return
            case .readOK: input = .readFailed
            case .writeOK(let id, _): input = .writeFailed(id, .other)
            default: break
            }
        }
        if case .timer(let id, let generation) = input, nodes[node].timerGeneration[id] != generation { return }
        log("n\(node) <- \(input)")
        let now = nodes[node].local(self.now)
        let actions = process(&nodes[node].machine, input, now)
        for action in actions { execute(node, action) }
    }

    func process(_ machine: inout ElectionStateMachine, _ input: NodeInput, _ now: ElectionInstant)
        -> [ElectionAction]
    {
        switch input {
        case .start: machine.start(now: now)
        case .watch(let entry): machine.watchUpdate(entry, now: now)
        case .readOK(let snapshot): machine.leaseRead(snapshot, now: now)
        case .readFailed: machine.leaseReadFailed(now: now)
        case .writeOK(let id, let revision): machine.writeSucceeded(id, revision: revision, now: now)
        case .writeFailed(let id, let failure): machine.writeFailed(id, failure, now: now)
        case .timer(let id, _): machine.timerFired(id, now: now)
        case .connectionLost: machine.connectionLost(now: now)
        case .connectionRestored: machine.connectionRestored(now: now)
        case .stepDown: machine.stepDownRequested(now: now)
        case .transfer(let target): machine.transferRequested(to: target, now: now)
        case .eligible(let eligible): machine.eligibilityChanged(eligible, now: now)
        }
    }

    mutating func execute(_ node: Int, _ action: ElectionAction) {
        log("n\(node) -> \(action)")
        switch action {
        case .acquireLease(let record, let subject, let stream, let id):
            send(node, .write(id, subject: "leader", .put(bytes(record)), expectedSubject: subject, expectedStream: stream))
        case .updateLease(let record, let expected, let id):
            send(node, .write(id, subject: "leader", .put(bytes(record)), expectedSubject: expected, expectedStream: nil))
        case .deleteLease(let expected, let id):
            send(node, .write(id, subject: "leader", .delete, expectedSubject: expected, expectedStream: nil))
        case .putCooldown(let nodeId, _):
            send(node, .write(nil, subject: "cooldown.\(nodeId)", .put([]), expectedSubject: nil, expectedStream: nil))
        case .readLease:
            send(node, .read)
        case .scheduleTimer(let id, let instant):
            let generation = (nodes[node].timerGeneration[id] ?? 0) + 1
            nodes[node].timerGeneration[id] = generation
            let jitter = rng.between(0, parameters.maxNetDelay / 4)
            let at = max(now, nodes[node].real(instant) + jitter)
            queue.push(at, .input(node: node, incarnation: nodes[node].incarnation, .timer(id, generation: generation)))
        case .cancelTimer(let id):
            nodes[node].timerGeneration[id, default: 0] += 1
        case .becameLeader(let epoch, let validUntil):
            if !nodes[node].machine.isEligible { fail("n\(node) became leader while not eligible") }
            becameLeader(node, epoch: epoch, until: nodes[node].real(validUntil))
        case .leadershipExtended(let validUntil):
            if nodes[node].vipUntil <= now { fail("n\(node) extended a leadership whose deadline had passed") }
            nodes[node].vipUntil = nodes[node].real(validUntil)
        case .lostLeadership:
            nodes[node].vipUntil = min(nodes[node].vipUntil, now)
        case .leaderChanged(_, let epoch):
            guard let epoch else { return }
            if epoch < nodes[node].lastObservedEpoch {
                fail("n\(node) observed epoch \(epoch) after \(nodes[node].lastObservedEpoch)")
            }
            nodes[node].lastObservedEpoch = epoch
        }
    }

    /// The two safety invariants, checked when a leadership begins: no other host still holds the VIP
    /// (its window ends at its lost-leadership action or at its self-fencing deadline, whichever is first;
    /// a crashed or paused process keeps the VIP until the deadline through the kernel lifetime), and the
    /// epoch is above every earlier leadership's.
    mutating func becameLeader(_ node: Int, epoch: UInt64, until: Int64) {
        for other in nodes.indices where other != node && nodes[other].vipUntil > now {
            fail(
                "n\(node) became leader (epoch \(epoch)) while n\(other) holds the VIP (epoch \(nodes[other].vipEpoch)) "
                    + "for another \(Double(nodes[other].vipUntil - now) / 1e6)ms")
        }
        if epoch <= lastLeaderEpoch { fail("epoch \(epoch) of n\(node) is not above \(lastLeaderEpoch)") }
        lastLeaderEpoch = max(lastLeaderEpoch, epoch)
        stats.leaderships += 1
        if let handover {
            if handover.steppedDown == node { fail("n\(node) took the lease back during its cooldown") }
            stats.longestHandover = max(stats.longestHandover, now - handover.start)
            self.handover = nil
        }
        nodes[node].vipUntil = until
        nodes[node].vipEpoch = epoch
    }

    func bytes(_ record: LeaseRecord) -> [UInt8] {
        record.encoded(stampingWith: "2026-11-27T00:00:00Z")
    }

    /// Sends a request: lost (or the node is cut off) → the driver reports a timeout; otherwise it reaches
    /// the server after a network delay, even if the node is partitioned by then.
    mutating func send(_ node: Int, _ request: KVRequest) {
        let incarnation = nodes[node].incarnation
        if nodes[node].partitionDepth > 0 || (!healed && rng.chance(parameters.loss)) {
            stats.lostMessages += 1
            return timeout(node, request, sentAt: now)
        }
        let arrival = now + networkDelay()
        queue.push(arrival, .apply(node: node, incarnation: incarnation, request, sentAt: now))
    }

    mutating func timeout(_ node: Int, _ request: KVRequest, sentAt: Int64) {
        let input: NodeInput
        switch request {
        case .write(let id?, _, _, _, _): input = .writeFailed(id, .other)
        case .write(nil, _, _, _, _): return
        case .read: input = .readFailed
        }
        queue.push(sentAt + parameters.requestTimeout, .input(node: node, incarnation: nodes[node].incarnation, input))
    }

    /// The server handles a request: refused during a stream-leader election, else applied; the reply may
    /// be lost after the write happened, or arrive after the driver timed out.
    mutating func apply(_ node: Int, _ incarnation: Int, _ request: KVRequest, _ sentAt: Int64) {
        let reply: NodeInput?
        switch request {
        case .read:
            reply = kvOutageDepth > 0 ? .readFailed : .readOK(kv.snapshot(now: now))
        case .write(let id, let subject, let operation, let expectedSubject, let expectedStream):
            guard kvOutageDepth == 0 else {
                reply = id.map { .writeFailed($0, .other) }
                break
            }
            let lag = rng.between(0, parameters.maxExpiryLag)
            let revision = kv.write(
                subject, operation, expectedSubject: expectedSubject, expectedStream: expectedStream, now: now,
                expiryLag: lag)
            log("kv \(subject) \(revision.map { "stored r\($0)" } ?? "refused") for n\(node)")
            if let revision, subject == "leader" { broadcastWatch(watchEntry(revision, operation)) }
            reply = id.map { id in revision.map { .writeOK(id, $0) } ?? .writeFailed(id, .wrongRevision) }
        }
        guard let reply else { return }
        let arrival = now + networkDelay()
        if (!healed && rng.chance(parameters.loss)) || arrival > sentAt + parameters.requestTimeout {
            stats.lostMessages += 1
            return timeout(node, request, sentAt: sentAt)
        }
        queue.push(arrival, .input(node: node, incarnation: incarnation, reply))
    }

    /// Usually up to `maxNetDelay`; during the fault phase sometimes up to a whole request timeout.
    mutating func networkDelay() -> Int64 {
        if !healed && rng.chance(parameters.slow) { return rng.between(0, parameters.requestTimeout) }
        return rng.between(0, parameters.maxNetDelay)
    }

    func watchEntry(_ revision: UInt64, _ operation: SimKV.Operation) -> LeaseWatchEntry {
        switch operation {
        case .put(let bytes): LeaseWatchEntry(revision: revision, operation: .put(bytes))
        case .delete: LeaseWatchEntry(revision: revision, operation: .delete)
        }
    }

    /// Delivers a lease entry to every connected node after its own delay, in order per node.
    mutating func broadcastWatch(_ entry: LeaseWatchEntry) {
        for node in nodes.indices where nodes[node].up && nodes[node].partitionDepth == 0 {
            let at = max(nodes[node].lastWatchDelivery, now + rng.between(0, parameters.maxWatchDelay))
            nodes[node].lastWatchDelivery = at
            queue.push(at, .input(node: node, incarnation: nodes[node].incarnation, .watch(entry)))
        }
    }
}
