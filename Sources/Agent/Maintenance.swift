import Cluster
import Foundation
import JetStream
import NATSClient

/// The maintenance flags: a persistent switch that keeps one node, or the whole cluster, from contending.
///
/// They live in their own bucket, `KV_CLUSTER_<clusterId>_maintenance`, because the lease bucket's max age
/// (the lease TTL) would expire them: this bucket keeps values until they are deleted, across restarts of
/// every node. Keys: `cluster` (every node) and `node.<nodeId>`. Values: `{"reason", "since", "by"}`.
/// NATS permissions: `$KV.KV_CLUSTER_<clusterId>_maintenance.>` next to the lease bucket's subjects.
public struct MaintenanceFlag: Codable, Sendable, Equatable {
    /// Why (free text from the operator).
    public var reason: String
    /// When it was set (RFC 3339).
    public var since: String
    /// Who set it (`user@host`).
    public var by: String

    public init(reason: String, since: String, by: String) {
        self.reason = reason
        self.since = since
        self.by = by
    }

    /// The bucket's name.
    public static func bucket(clusterId: String) -> String { "KV_CLUSTER_\(clusterId)_maintenance" }
    /// The key of the whole-cluster flag.
    public static let clusterKey = "cluster"
    /// The key of one node's flag.
    public static func nodeKey(_ nodeId: String) -> String { "node.\(nodeId)" }

    /// Opens (creating if needed) the bucket: no max age, one value per key.
    public static func open(_ js: JetStreamContext, clusterId: String, replicas: Int = 1) async throws -> KeyValue {
        try await js.createKeyValue(KeyValueConfig(bucket: bucket(clusterId: clusterId), history: 1, ttl: nil, replicas: replicas))
    }

    /// Parses a flag; `nil` for anything else (garbage is logged by the caller and ignored).
    public init?(bytes: [UInt8]) {
        guard let flag = try? JSONDecoder().decode(MaintenanceFlag.self, from: Data(bytes)) else { return nil }
        self = flag
    }
}

extension Daemon {
    /// Follows this node's and the cluster's maintenance flags; a set flag is a not-eligible reason.
    /// Until the flags are read the node does not contend (a node in maintenance must not grab the lease at
    /// start-up); if the bucket cannot be opened at all it gives up after a few tries and contends.
    func watchMaintenance(connection: NATSConnection) async {
        let clusterId = config.cluster.clusterId
        let keys = [MaintenanceFlag.clusterKey, MaintenanceFlag.nodeKey(nodeId)]
        var attempts = 0
        while !Task.isCancelled {
            do {
                let kv = try await MaintenanceFlag.open(
                    JetStreamContext(connection: connection), clusterId: clusterId, replicas: config.bucketReplicas)
                let watcher = try await kv.watch(keys: ">")
                var flags: [String: MaintenanceFlag] = [:]
                var ready = false
                for try await event in watcher {
                    switch event {
                    case .upToDate:
                        ready = true
                    case .entry(let entry) where keys.contains(entry.key):
                        if entry.operation != .put {
                            flags[entry.key] = nil
                        } else if let flag = MaintenanceFlag(bytes: entry.value) {
                            flags[entry.key] = flag
                        } else {
                            logger.warning("maintenance flag \(entry.key) holds garbage: ignored")
                            flags[entry.key] = nil
                        }
                    case .entry:
                        continue
                    }
                    guard ready else { continue }
                    let reasons = keys.compactMap { key in
                        flags[key].map { "maintenance (\(key == MaintenanceFlag.clusterKey ? "whole cluster" : "this node")): \($0.reason)" }
                    }
                    await updateEligibility(source: "maintenance", reasons: reasons)
                }
                await watcher.stop()
            } catch is CancellationError {
                return
            } catch {
                attempts += 1
                if attempts >= 3 {
                    logger.error("maintenance flags unreadable (\(error)); contending without them")
                    await updateEligibility(source: "maintenance", reasons: [])
                }
                try? await Task.sleep(for: max(config.cluster.reconnectWait, .milliseconds(200)))
            }
        }
    }
}
