/// The names a cluster uses on NATS, exactly as go-cluster spells them, so that its authorization examples
/// (`cluster_<cid>.>`, `$KV.KV_CLUSTER_<cid>.>`) and `nats request cluster_<cid>.ping.<nid> ''` keep working.
extension ClusterConfig {
    /// The KV key holding the leader lease.
    public static let leaderKey = "leader"

    /// The KV bucket: `KV_CLUSTER_<clusterId>` (go-cluster's `KVBucketName()`). The bucket's own name carries
    /// the `KV_` prefix, so its stream is `KV_KV_CLUSTER_<clusterId>` and its subjects `$KV.KV_CLUSTER_<clusterId>.>`.
    /// - Parameter clusterId: The cluster's identifier.
    public static func bucketName(clusterId: String) -> String { "KV_CLUSTER_\(clusterId)" }

    /// The micro service: `cluster_<clusterId>` (go-cluster's `ServiceName()`).
    /// - Parameter clusterId: The cluster's identifier.
    public static func serviceName(clusterId: String) -> String { "cluster_\(clusterId)" }

    /// The KV key of a node's stepdown cooldown marker: `cooldown.<nodeId>`.
    /// - Parameter nodeId: The node that stepped down.
    public static func cooldownKey(nodeId: String) -> String { "cooldown.\(nodeId)" }

    /// A node's status endpoint: `cluster_<clusterId>.status.<nodeId>` (go-cluster's `StatusSubject`).
    public static func statusSubject(clusterId: String, nodeId: String) -> String {
        "cluster_\(clusterId).status.\(nodeId)"
    }

    /// A node's ping endpoint: `cluster_<clusterId>.ping.<nodeId>` (go-cluster's `PingSubject`).
    public static func pingSubject(clusterId: String, nodeId: String) -> String {
        "cluster_\(clusterId).ping.\(nodeId)"
    }

    /// A node's stepdown endpoint: `cluster_<clusterId>.control.<nodeId>.stepdown` (go-cluster's `StepdownSubject`).
    public static func stepdownSubject(clusterId: String, nodeId: String) -> String {
        "cluster_\(clusterId).control.\(nodeId).stepdown"
    }

    /// A node's leadership-transfer endpoint: `cluster_<clusterId>.control.<nodeId>.transfer` (not in go-cluster;
    /// under `control` so that go-cluster's permission patterns cover it).
    public static func transferSubject(clusterId: String, nodeId: String) -> String {
        "cluster_\(clusterId).control.\(nodeId).transfer"
    }

    /// This cluster's KV bucket, `KV_CLUSTER_<clusterId>`.
    public var bucketName: String { Self.bucketName(clusterId: clusterId) }
    /// This cluster's micro service name, `cluster_<clusterId>`.
    public var serviceName: String { Self.serviceName(clusterId: clusterId) }
    /// This node's cooldown marker key, `cooldown.<nodeId>`.
    public var cooldownKey: String { Self.cooldownKey(nodeId: nodeId) }
    /// This node's status subject.
    public var statusSubject: String { Self.statusSubject(clusterId: clusterId, nodeId: nodeId) }
    /// This node's ping subject.
    public var pingSubject: String { Self.pingSubject(clusterId: clusterId, nodeId: nodeId) }
    /// This node's stepdown subject.
    public var stepdownSubject: String { Self.stepdownSubject(clusterId: clusterId, nodeId: nodeId) }
    /// This node's transfer subject.
    public var transferSubject: String { Self.transferSubject(clusterId: clusterId, nodeId: nodeId) }
}
