import Election
import NATSClient

/// What a ``Node`` needs to run: identity, election timing, and how to reach NATS.
public struct NodeOptions: Sendable {
    /// The cluster this node belongs to (names the bucket and the micro service).
    public var clusterId: String
    /// The election parameters; `election.nodeId` is this node's id.
    public var election: ElectionConfig
    /// How to connect to NATS when ``Node/start(connection:)`` is not given a connection.
    public var nats: NATSOptions
    /// The micro service's version.
    public var serviceVersion: String
    /// Replicas of the lease bucket's stream when the node creates it.
    public var bucketReplicas: Int
    /// Receives the node's diagnostics (garbage leases, failed hooks, failed service requests).
    public var log: @Sendable (String) -> Void
    /// Adds the application's fields to the `status` endpoint's answer; called on each request.
    public var statusDetails: (@Sendable () -> NodeStatusDetails)?

    /// Creates options.
    /// - Parameters:
    ///   - clusterId: The cluster id.
    ///   - election: The election configuration (node id, TTL, heartbeat).
    ///   - nats: NATS connection options.
    ///   - serviceVersion: The micro service version (default "1.0.0").
    ///   - bucketReplicas: Replicas of the bucket stream (default 1).
    ///   - log: Diagnostics sink (default: discard).
    public init(
        clusterId: String,
        election: ElectionConfig,
        nats: NATSOptions = NATSOptions(),
        serviceVersion: String = "1.0.0",
        bucketReplicas: Int = 1,
        log: @escaping @Sendable (String) -> Void = { _ in }
    ) {
        self.clusterId = clusterId
        self.election = election
        self.nats = nats
        self.serviceVersion = serviceVersion
        self.bucketReplicas = bucketReplicas
        self.log = log
    }

    /// Options from a loaded ``ClusterConfig``: its NATS URLs, credentials, reconnect policy, election timing
    /// and service version.
    /// - Parameters:
    ///   - config: The cluster configuration.
    ///   - log: Diagnostics sink (default: discard).
    public init(config: ClusterConfig, log: @escaping @Sendable (String) -> Void = { _ in }) {
        var nats = NATSOptions(
            servers: config.natsURLs, name: "cluster-\(config.clusterId)-\(config.nodeId)",
            reconnectWait: config.reconnectWait, maxReconnects: config.maxReconnects)
        nats.credentialsFile = config.natsCredentials
        self.init(
            clusterId: config.clusterId, election: config.electionConfig, nats: nats,
            serviceVersion: config.serviceVersion, log: log)
    }

    /// This node's id.
    public var nodeId: String { election.nodeId }
    /// The KV bucket holding the lease: `KV_CLUSTER_<clusterId>`.
    public var bucket: String { ClusterConfig.bucketName(clusterId: clusterId) }
    /// The micro service name: `cluster_<clusterId>`.
    public var service: String { ClusterConfig.serviceName(clusterId: clusterId) }
    /// `cluster_<cid>.status.<nid>`.
    public var statusSubject: String { "\(service).status.\(nodeId)" }
    /// `cluster_<cid>.ping.<nid>`.
    public var pingSubject: String { "\(service).ping.\(nodeId)" }
    /// `cluster_<cid>.control.<nid>.stepdown`.
    public var stepdownSubject: String { "\(service).control.\(nodeId).stepdown" }
    /// `cluster_<cid>.control.<nid>.transfer`.
    public var transferSubject: String { "\(service).control.\(nodeId).transfer" }
    /// `cluster_<cid>.control.<nid>.promote`.
    public var promoteSubject: String { "\(service).control.\(nodeId).promote" }
}
