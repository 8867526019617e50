import Election
import Foundation
import JetStream
import NATSClient

/// How a lease write ended.
enum WriteOutcome: Sendable {
    case stored(UInt64)
    case failed(WriteFailure)
}

/// A lease write for the serial writer task.
struct WriteJob: Sendable {
    var id: RequestID
    var payload: [UInt8]
    var headers: NATSHeaders?
    var options: PublishOptions
}

extension Node {
    /// Executes the machine's actions in order.
    func execute(_ actions: [ElectionAction]) {
        for action in actions {
            switch action {
            case .acquireLease(let record, let subjectRevision, let streamSequence, let id):
                let options = PublishOptions(
                    expectedLastSequence: streamSequence, expectedLastSubjectSequence: subjectRevision)
                enqueue(WriteJob(id: id, payload: encode(record), headers: nil, options: options))
            case .updateLease(let record, let revision, let id):
                let options = PublishOptions(expectedLastSubjectSequence: revision)
                enqueue(WriteJob(id: id, payload: encode(record), headers: nil, options: options))
            case .deleteLease(let revision, let id):
                var headers = NATSHeaders()
                headers["KV-Operation"] = "DEL"
                let options = PublishOptions(expectedLastSubjectSequence: revision)
                enqueue(WriteJob(id: id, payload: [], headers: headers, options: options))
            case .putCooldown(let nodeId, let duration):
                putCooldown(nodeId: nodeId, duration: duration)
            case .readLease:
                readLease()
            case .scheduleTimer(let id, let instant):
                schedule(id, at: instant)
            case .cancelTimer(let id):
                timers.removeValue(forKey: id)?.task.cancel()
            case .becameLeader(let epoch, let validUntil):
                leadershipGuard?.leadershipGranted(epoch: epoch, validUntil: instant(validUntil))
                hookQueue?.yield(.becameLeader(epoch: epoch))
            case .leadershipExtended(let validUntil):
                if let epoch = machine.epoch {
                    leadershipGuard?.leadershipExtended(epoch: epoch, validUntil: instant(validUntil))
                }
            case .lostLeadership(let reason):
                // The guard first (the VIP goes before anything else happens), then the hooks.
                leadershipGuard?.leadershipRevoked(reason: reason)
                options.log("\(options.nodeId) lost leadership: \(reason)")
                hookQueue?.yield(.lostLeadership)
            case .leaderChanged(let nodeId, let epoch):
                hookQueue?.yield(.leaderChanged(nodeId: nodeId, epoch: epoch))
            }
        }
    }

    /// The node's monotonic time as a `ContinuousClock` instant.
    func instant(_ time: ElectionInstant) -> ContinuousClock.Instant {
        origin + .nanoseconds(time.nanoseconds)
    }

    /// The JSON of `record`, stamped with the wall-clock time this node first wrote its epoch.
    func encode(_ record: LeaseRecord) -> [UInt8] {
        if record.acquiredAt == nil, stamp?.epoch != record.epoch {
            stamp = (record.epoch, rfc3339(Date()))
        }
        return record.encoded(stampingWith: stamp?.text ?? rfc3339(Date()))
    }

    // MARK: Timers

    func schedule(_ id: TimerID, at instant: ElectionInstant) {
        timers[id]?.task.cancel()
        timerTokens += 1
        let token = timerTokens
        let deadline = origin + .nanoseconds(instant.nanoseconds)
        let task = Task { [weak self] in
            do { try await Task.sleep(until: deadline, clock: .continuous) } catch { return }
            await self?.timerFired(id, token: token)
        }
        timers[id] = (token, task)
    }

    // MARK: KV I/O

    var leaseSubject: String { "$KV.\(options.bucket).\(leaderKey)" }

    func enqueue(_ job: WriteJob) {
        guard let writer else {
            // Not running: report at once so every write gets exactly one result.
            return
        }
        writesInFlight += 1
        writer.yield(job)
    }

    func startWriterTask() {
        guard let js else { return }
        let (stream, continuation) = AsyncStream.makeStream(of: WriteJob.self)
        writer = continuation
        let subject = leaseSubject
        writerTask = Task { [weak self] in
            for await job in stream {
                let result: WriteOutcome
                do {
                    let ack = try await js.publish(job.payload, to: subject, headers: job.headers, options: job.options)
                    result = .stored(ack.seq)
                } catch let error as JetStreamError where error.isWrongLastSequence {
                    result = .failed(.wrongRevision)
                } catch {
                    result = .failed(.other)
                }
                guard let self else { return }
                await self.writeDone(job.id, result)
            }
        }
    }

    /// Reads the lease key's last message from the stream leader, then the stream's last sequence.
    func readLease() {
        guard let kv, let js else { return }
        let subject = leaseSubject
        Task { [weak self] in
            var snapshot: LeaseSnapshot?
            do {
                let message = try await js.getMessage(stream: kv.streamName, .lastBySubject(subject))
                let last = try await kv.streamInfo().state.lastSeq
                let entry: LeaseSnapshot.Entry
                if let message {
                    switch message.headers?["KV-Operation"] {
                    case "DEL", "PURGE": entry = .tombstone(revision: message.sequence)
                    default: entry = .value(revision: message.sequence, bytes: Array(message.payload.readableBytesView))
                    }
                } else {
                    entry = .absent
                }
                snapshot = LeaseSnapshot(entry: entry, streamLastSequence: max(last, message?.sequence ?? 0))
            } catch {
                snapshot = nil
            }
            await self?.leaseRead(snapshot)
        }
    }

    func putCooldown(nodeId: String, duration: Duration) {
        guard let kv else { return }
        let seconds = Double(duration.components.seconds) + Double(duration.components.attoseconds) / 1e18
        let value = CooldownMarker(nodeId: nodeId, until: Date().addingTimeInterval(seconds)).json
        let log = options.log
        Task {
            do { _ = try await kv.put(ClusterConfig.cooldownKey(nodeId: nodeId), value) } catch { log("cooldown marker not written: \(error)") }
        }
    }

    // MARK: Watch and connection

    /// (Re)creates the watch of the lease key; with `reportRestored`, reports `connectionRestored` once it
    /// is in place. Retries while the connection is not ready.
    func startWatch(reportRestored: Bool) {
        guard let kv else { return }
        watchGeneration += 1
        let generation = watchGeneration
        let old = watcher
        watcher = nil
        watchTask?.cancel()
        watchTask = Task { [weak self] in
            await old?.stop()
            while !Task.isCancelled {
                do {
                    let watcher = try await kv.watch(keys: leaderKey)
                    guard let self, await self.watchCreated(watcher, generation: generation) else {
                        await watcher.stop()
                        return
                    }
                    if reportRestored { await self.watchRestored(generation: generation) }
                    for try await event in watcher {
                        if case .entry(let entry) = event { await self.watchEntry(entry, generation: generation) }
                    }
                    return
                } catch {
                    try? await Task.sleep(for: .milliseconds(250))
                }
            }
        }
    }

    /// Keeps `watcher` if it belongs to the current generation.
    func watchCreated(_ watcher: KeyValueWatcher, generation: Int) -> Bool {
        guard running, generation == watchGeneration else { return false }
        self.watcher = watcher
        return true
    }

    func startEventsTask(_ connection: NATSConnection) {
        let events = connection.events()
        eventsTask = Task { [weak self] in
            for await event in events {
                guard let self else { return }
                await self.connectionEvent(event)
            }
        }
    }

    func startHookTask() {
        let (stream, continuation) = AsyncStream.makeStream(of: HookCall.self)
        hookQueue = continuation
        let hooks = self.hooks
        let log = options.log
        let changes = self.changes
        hookTask = Task {
            for await call in stream {
                do { try await call.run(on: hooks) } catch { log("hook \(call) failed: \(error)") }
                // Waiters (join, promote) look again once the application's hook for the change has run.
                changes.notify()
            }
        }
    }
}

