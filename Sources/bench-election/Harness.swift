import Cluster
import Election
import Foundation
import JetStream
import Logging
import NATSClient
import NATSTestSupport
import Synchronization

/// A node's hooks that record when it became leader (and under which epoch) on the monotonic clock.
///
/// The instant is taken inside ``onBecomeLeader(epoch:)``, i.e. when the node's hook task runs the hook:
/// the moment an application (VIP, services) would start acting as leader.
final class LeadershipRecorder: ClusterHooks, Sendable {
    private let became = Mutex<[(epoch: UInt64, at: ContinuousClock.Instant)]>([])

    func onBecomeLeader(epoch: UInt64) async throws {
        let now = ContinuousClock.now
        became.withLock { $0.append((epoch, now)) }
    }

    /// When this node last became leader under an epoch above `epoch`, with that epoch.
    func becameLeader(after epoch: UInt64) -> (epoch: UInt64, at: ContinuousClock.Instant)? {
        became.withLock { $0.last { $0.epoch > epoch } }
    }
}

/// One update of the `leader` key as an independent observer connection saw it.
struct LeaseObservation: Sendable {
    /// When the observer's watch delivered it.
    var at: ContinuousClock.Instant
    /// The KV revision.
    var revision: UInt64
    /// The lease, `nil` for a delete/purge marker or an unparseable value.
    var record: LeaseRecord?
    /// Wall-clock delivery time minus the server's store time of the entry (same host, same clock): how
    /// long after the server stored it the observer saw it.
    var deliveryLag: Duration

    /// The server's store time on the monotonic clock: ``at`` − ``deliveryLag``.
    var storedAt: ContinuousClock.Instant { at - deliveryLag }
}

/// The observer's list, shared between its watch task and its readers.
final class ObservationLog: Sendable {
    private let items = Mutex<[LeaseObservation]>([])

    func append(_ observation: LeaseObservation) { items.withLock { $0.append(observation) } }
    var all: [LeaseObservation] { items.withLock { $0 } }
}

/// Watches the bucket's `leader` key on a connection of its own and timestamps every update, so that the
/// renewals of a leader can be seen from outside (the reference for "failover time beyond the TTL").
final class LeaseObserver: Sendable {
    private let log: ObservationLog
    private let watcher: KeyValueWatcher
    private let task: Task<Void, Never>

    /// Starts watching `bucket`'s `leader` key (the bucket must exist).
    init(connection: NATSConnection, bucket: String) async throws {
        let kv = try await JetStreamContext(connection: connection).keyValue(bucket)
        let watcher = try await kv.watch(keys: ClusterConfig.leaderKey)
        let log = ObservationLog()
        self.log = log
        self.watcher = watcher
        task = Task {
            do {
                for try await event in watcher {
                    guard case .entry(let entry) = event else { continue }
                    let (now, wall) = (ContinuousClock.now, Date())
                    let record = entry.operation == .put ? LeaseRecord(bytes: entry.value) : nil
                    let lag = Duration.seconds(wall.timeIntervalSince(entry.created))
                    log.append(LeaseObservation(at: now, revision: entry.revision, record: record, deliveryLag: lag))
                }
            } catch {
                // The watch ends with the connection; the scenario notices missing observations.
            }
        }
    }

    /// Every observation so far, in delivery (= revision) order.
    var all: [LeaseObservation] { log.all }

    /// The highest-revision observed put naming `nodeId` under `epoch`.
    func lastWrite(by nodeId: String, epoch: UInt64) -> LeaseObservation? {
        all.last { $0.record?.nodeId == nodeId && $0.record?.epoch == epoch }
    }

    /// Stops the watch.
    func stop() async {
        task.cancel()
        await watcher.stop()
    }
}

/// Election timing of a benchmark cluster.
struct Timing: Sendable, CustomStringConvertible {
    var ttl: Duration
    var heartbeat: Duration

    /// TTL 1 s / heartbeat 250 ms.
    static let fast = Timing(ttl: .seconds(1), heartbeat: .milliseconds(250))
    /// go-cluster's defaults: TTL 10 s / heartbeat 3 s.
    static let defaults = Timing(ttl: .seconds(10), heartbeat: .seconds(3))

    var description: String { "TTL \(ttl.shortText) / hb \(heartbeat.shortText)" }
}

/// A benchmark failure with a readable message.
struct BenchFailure: Error, CustomStringConvertible {
    let description: String
    init(_ description: String) { self.description = description }
}

/// Nodes of one cluster (fresh random cluster id, so a bucket of its own) on a shared nats-server, each
/// with its own connection and recorder, plus the lease observer. Crashed nodes are replaced by new ids.
struct BenchCluster {
    let url: String
    let clusterId = "bench\(UInt32.random(in: 0...UInt32.max))"
    let timing: Timing
    var ids: [String] = []
    var nodes: [Node] = []
    var recorders: [LeadershipRecorder] = []
    var connections: [NATSConnection] = []
    /// Indices of nodes that were crashed (and stopped); they take part in nothing any more.
    var crashed: Set<Int> = []
    private(set) var observer: LeaseObserver?
    private var observerConnection: NATSConnection?
    private var nextId = 1

    init(url: String, timing: Timing, count: Int = 3) async throws {
        self.url = url
        self.timing = timing
        for _ in 0..<count { try await addNode() }
        let connection = try await Self.connect(url)
        observerConnection = connection
        observer = try await LeaseObserver(connection: connection, bucket: ClusterConfig.bucketName(clusterId: clusterId))
    }

    /// Indices of the nodes still alive.
    var live: [Int] { nodes.indices.filter { !crashed.contains($0) } }

    /// Starts one more node, `n<k>`, on a connection of its own.
    mutating func addNode() async throws {
        let id = "n\(nextId)"
        nextId += 1
        let connection = try await Self.connect(url)
        let recorder = LeadershipRecorder()
        let election = ElectionConfig(nodeId: id, leaseTTL: timing.ttl, heartbeatInterval: timing.heartbeat)
        let node = try Node(options: NodeOptions(clusterId: clusterId, election: election), hooks: recorder)
        try await node.start(connection: connection)
        ids.append(id)
        nodes.append(node)
        recorders.append(recorder)
        connections.append(connection)
    }

    /// Crash: closes the node's connection under it (no stepdown, the lease is left to expire). The node
    /// takes part in nothing any more; ``retire(_:)`` stops it once the failover has been measured.
    /// Returns the instant just before the close.
    mutating func crash(_ index: Int) async -> ContinuousClock.Instant {
        crashed.insert(index)
        let at = ContinuousClock.now
        await connections[index].close()
        return at
    }

    /// Stops a crashed node (its timers and tasks).
    func retire(_ index: Int) async { await nodes[index].stop() }

    /// Waits until exactly one live node leads and every live node agrees on it and its epoch.
    func waitForAgreedLeader(timeout: Duration) async throws -> (index: Int, epoch: UInt64) {
        let deadline = ContinuousClock.now + timeout
        while ContinuousClock.now < deadline {
            var leading: [Int] = []
            for index in live where await nodes[index].isLeader { leading.append(index) }
            if leading.count == 1 {
                let epoch = await nodes[leading[0]].epoch
                var agreed = true
                for index in live {
                    let (seen, seenEpoch) = (await nodes[index].leader, await nodes[index].epoch)
                    if seen != ids[leading[0]] || seenEpoch != epoch { agreed = false }
                }
                if agreed { return (leading[0], epoch) }
            }
            try await Task.sleep(for: .milliseconds(10))
        }
        throw BenchFailure("cluster \(clusterId): no agreed leader within \(timeout)")
    }

    /// Waits for the first live node other than `excluded` whose OnBecomeLeader ran under an epoch above
    /// `epoch`. The instant returned is the hook's own; polling only decides when we look.
    func waitForNewLeader(after epoch: UInt64, excluding excluded: Int, timeout: Duration) async throws
        -> (index: Int, epoch: UInt64, at: ContinuousClock.Instant)
    {
        let deadline = ContinuousClock.now + timeout
        while ContinuousClock.now < deadline {
            let seen = live.filter { $0 != excluded }.compactMap { index in
                recorders[index].becameLeader(after: epoch).map { (index, $0.epoch, $0.at) }
            }
            if let first = seen.min(by: { $0.2 < $1.2 }) { return first }
            try await Task.sleep(for: .milliseconds(2))
        }
        throw BenchFailure("cluster \(clusterId): no new leader (epoch > \(epoch)) within \(timeout)")
    }

    /// Waits until the observer has seen the lease written by `index` under `epoch`.
    func waitForObserved(_ index: Int, epoch: UInt64, timeout: Duration) async throws -> LeaseObservation {
        let deadline = ContinuousClock.now + timeout
        while ContinuousClock.now < deadline {
            if let seen = observer?.lastWrite(by: ids[index], epoch: epoch) { return seen }
            try await Task.sleep(for: .milliseconds(5))
        }
        throw BenchFailure("cluster \(clusterId): observer never saw \(ids[index])@\(epoch)")
    }

    /// Stops every node and the observer, deletes the bucket, closes every connection.
    func shutdown() async {
        for node in nodes { await node.stop() }
        await observer?.stop()
        if let observerConnection {
            try? await JetStreamContext(connection: observerConnection)
                .deleteKeyValue(ClusterConfig.bucketName(clusterId: clusterId))
            await observerConnection.close()
        }
        for (index, connection) in connections.enumerated() where !crashed.contains(index) { await connection.close() }
    }

    /// A connection like the tests': fast pings and reconnects, loopback only.
    static func connect(_ url: String) async throws -> NATSConnection {
        var logger = Logger(label: "bench-election")
        logger.logLevel = .warning  // no "connected" line per node
        var options = NATSOptions(
            servers: [url], pingInterval: .seconds(1), maxPingsOutstanding: 2, connectTimeout: .seconds(2),
            reconnectWait: .milliseconds(200), maxReconnects: -1)
        options.retainServerOrder = true
        return try await NATSConnection.connect(options, logger: logger)
    }
}

extension Duration {
    /// Milliseconds as a floating-point number.
    var milliseconds: Double { Double(components.seconds) * 1e3 + Double(components.attoseconds) / 1e15 }

    /// "1 s", "250 ms".
    var shortText: String {
        let ms = milliseconds
        return ms >= 1000 && ms.truncatingRemainder(dividingBy: 1000) == 0 ? "\(Int(ms / 1000)) s" : "\(Int(ms)) ms"
    }
}
