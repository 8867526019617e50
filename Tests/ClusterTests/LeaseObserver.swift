import Cluster
import Election
import Foundation
import JetStream
import Synchronization

/// Watches the lease key from the test's own connection and records when each entry arrived
/// (`CLOCK_MONOTONIC`, comparable with `election-node`'s `mono_ns`).
final class LeaseObserver: Sendable {
    struct Seen: Sendable {
        var monoNs: UInt64
        var revision: UInt64
        var record: LeaseRecord?
        /// The server's store time (wall clock).
        var created: Date
    }

    private let seen = Mutex<[Seen]>([])
    private let watcher: KeyValueWatcher
    private let task = Mutex<Task<Void, Never>?>(nil)

    private init(watcher: KeyValueWatcher) { self.watcher = watcher }

    /// Starts watching `leader` in `bucket`.
    static func start(_ bucket: KeyValue) async throws -> LeaseObserver {
        let observer = LeaseObserver(watcher: try await bucket.watch(keys: ClusterConfig.leaderKey))
        let task = Task { [observer] in
            do {
                for try await event in observer.watcher {
                    guard case .entry(let entry) = event else { continue }
                    let record = entry.operation == .put ? LeaseRecord(bytes: entry.value) : nil
                    observer.seen.withLock { $0.append(Seen(monoNs: monotonicNow(), revision: entry.revision, record: record, created: entry.created)) }
                }
            } catch {}
        }
        observer.task.withLock { $0 = task }
        return observer
    }

    /// Every entry so far.
    var all: [Seen] { seen.withLock { $0 } }

    /// When the last entry naming `nodeId` arrived.
    func lastWrite(by nodeId: String) -> Seen? { all.last { $0.record?.nodeId == nodeId } }

    /// The first entry naming `nodeId` under `epoch`.
    func firstWrite(by nodeId: String, epoch: UInt64) -> Seen? {
        all.first { $0.record?.nodeId == nodeId && $0.record?.epoch == epoch }
    }

    /// Stops the watch.
    func stop() async {
        await watcher.stop()
        task.withLock { $0 }?.cancel()
    }
}
