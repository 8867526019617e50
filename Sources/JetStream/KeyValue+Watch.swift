import Foundation
import NATSClient
import Synchronization

/// What a watch delivers.
public enum KeyValueWatchEvent: Sendable, Hashable {
    /// A put, delete or purge of a watched key.
    case entry(KeyValueEntry)
    /// Every value that existed when the watch started has been delivered; live updates follow.
    /// Sent exactly once per watch.
    case upToDate
}

/// How a watch starts and what it skips.
public struct KeyValueWatchOptions: Sendable, Hashable {
    /// Deliver every stored revision, not only the latest of each key.
    public var includeHistory: Bool
    /// Deliver only changes made after the watch started (``KeyValueWatchEvent/upToDate`` comes first).
    public var updatesOnly: Bool
    /// Skip delete and purge markers.
    public var ignoreDeletes: Bool
    /// Deliver entries without values.
    public var metaOnly: Bool
    /// Server heartbeat interval; three missed heartbeats make the watch recreate its consumer.
    public var idleHeartbeat: Duration

    /// Creates options: latest values first, deletes included, values included, 2 s heartbeats.
    public init(
        includeHistory: Bool = false,
        updatesOnly: Bool = false,
        ignoreDeletes: Bool = false,
        metaOnly: Bool = false,
        idleHeartbeat: Duration = .seconds(2)
    ) {
        self.includeHistory = includeHistory
        self.updatesOnly = updatesOnly
        self.ignoreDeletes = ignoreDeletes
        self.metaOnly = metaOnly
        self.idleHeartbeat = idleHeartbeat
    }
}

extension KeyValue {
    /// Watches keys matching `keys` (a key, `*` tokens, a trailing `>`).
    ///
    /// Delivers the current entries (or the history, or nothing with `updatesOnly`), then
    /// ``KeyValueWatchEvent/upToDate`` once, then every change as it happens, each revision exactly
    /// once and in order — also across reconnects, server restarts and failovers, because the
    /// underlying ``OrderedConsumer`` resumes from the last delivered revision + 1.
    ///
    /// Expiry through the bucket TTL produces no event on nats-server before 2.11.
    /// - Throws: ``KeyValueError`` `.invalidKey`; ``JetStreamError`` if the consumer cannot be created.
    public func watch(
        keys: String = ">",
        options: KeyValueWatchOptions = KeyValueWatchOptions()
    ) async throws
        -> KeyValueWatcher
    {
        guard Self.isValidPattern(keys) else {
            throw KeyValueError(.invalidKey, bucket: bucket, key: keys, "not a valid watch filter")
        }
        let policy: DeliverPolicy =
            options.updatesOnly ? .new : options.includeHistory ? .all : .lastPerSubject
        let consumer = try await js.orderedConsumer(
            stream: streamName,
            config: OrderedConsumerConfig(
                filterSubject: subject(keys),
                deliverPolicy: policy,
                headersOnly: options.metaOnly,
                idleHeartbeat: options.idleHeartbeat
            )
        )
        let immediate = options.updatesOnly || consumer.initialPending == 0
        return KeyValueWatcher(
            kv: self,
            consumer: consumer,
            ignoreDeletes: options.ignoreDeletes,
            state: WatchState(initialPending: consumer.initialPending, upToDateDue: immediate)
        )
    }
}

/// A live watch: an `AsyncSequence` of ``KeyValueWatchEvent``. Iterate it from one task at a
/// time; call ``stop()`` when done.
public struct KeyValueWatcher: AsyncSequence, Sendable {
    public typealias Element = KeyValueWatchEvent

    let kv: KeyValue
    let consumer: OrderedConsumer
    let ignoreDeletes: Bool
    let state: WatchState

    /// The iterator; all state lives in the watcher.
    public struct Iterator: AsyncIteratorProtocol {
        let watcher: KeyValueWatcher

        /// The next event; `nil` after ``KeyValueWatcher/stop()``.
        public mutating func next() async throws -> KeyValueWatchEvent? {
            if watcher.state.takeUpToDate() { return .upToDate }
            while let delivery = try await watcher.consumer.engine.nextDelivery(reportIdle: true) {
                guard case .message(let message) = delivery else {
                    // An idle heartbeat: nothing is pending (e.g. initial values expired before delivery).
                    if watcher.state.idle() { return .upToDate }
                    continue
                }
                let entry = watcher.kv.entry(from: message)
                let caughtUp = watcher.state.received(delta: entry.delta)
                if watcher.ignoreDeletes && entry.operation != .put {
                    if caughtUp && watcher.state.takeUpToDate() { return .upToDate }
                    continue
                }
                return .entry(entry)
            }
            return nil
        }
    }

    public func makeAsyncIterator() -> Iterator {
        Iterator(watcher: self)
    }

    /// Stops the watch and deletes its consumer.
    public func stop() async { await consumer.stop() }

    /// How many times the underlying consumer was recreated (after gaps, lost heartbeats, reconnects).
    public var recreations: Int { get async { await consumer.recreations } }

    /// The revision the watch resumes after: the last entry delivered (before the first one: 0, or
    /// the bucket's last revision at the start of an `updatesOnly` watch).
    public var lastRevision: UInt64 { get async { await consumer.lastStreamSequence } }
}

/// When to emit ``KeyValueWatchEvent/upToDate``: once the initially pending entries are in (the
/// count reached, or an entry with delta 0), exactly once.
final class WatchState: Sendable {
    private struct Counters {
        var initialPending: UInt64
        var received: UInt64 = 0
        /// `upToDate` must be delivered before the next entry.
        var due: Bool
        var sent = false
    }

    private let counters: Mutex<Counters>

    init(initialPending: UInt64, upToDateDue: Bool) {
        counters = Mutex(Counters(initialPending: initialPending, due: upToDateDue))
    }

    /// Counts an entry; returns true if it completed the initial data (upToDate is now due).
    func received(delta: UInt64) -> Bool {
        counters.withLock { counters in
            counters.received += 1
            guard !counters.sent, !counters.due else { return false }
            if delta == 0 || counters.received >= counters.initialPending {
                counters.due = true
                return true
            }
            return false
        }
    }

    /// The consumer is idle: the initial data is complete. Returns true if upToDate is to be sent now.
    func idle() -> Bool {
        counters.withLock { counters in
            guard !counters.sent else { return false }
            counters.due = true
            counters.sent = true
            return true
        }
    }

    /// Returns true exactly once, when upToDate is due and has not been sent.
    func takeUpToDate() -> Bool {
        counters.withLock { counters in
            guard counters.due, !counters.sent else { return false }
            counters.sent = true
            return true
        }
    }
}
