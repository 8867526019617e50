import Election

/// The configuration of one cluster node, with go-cluster's fields and defaults (`cluster.Config` plus the
/// VIP of its `FileConfig`).
///
/// Build one in code, or load the seed's JSON format with ``load(fromFile:hostName:)`` / ``init(json:hostName:)``.
/// ``validate()`` checks every rule; the timing rules are ``ElectionConfig/validate()``'s, through
/// ``electionConfig``.
public struct ClusterConfig: Sendable, Equatable {
    /// go-cluster's `DefaultLeaseTTL`.
    public static let defaultLeaseTTL: Duration = .seconds(10)
    /// go-cluster's `DefaultHeartbeatInterval`.
    public static let defaultHeartbeatInterval: Duration = .seconds(3)
    /// go-cluster's `DefaultReconnectWait`.
    public static let defaultReconnectWait: Duration = .seconds(2)
    /// go-cluster's `DefaultMaxReconnects`: unlimited.
    public static let defaultMaxReconnects = -1
    /// go-cluster's `DefaultServiceVersion`.
    public static let defaultServiceVersion = "1.0.0"

    /// The cluster's identifier; names the KV bucket, the micro service and the subjects.
    public var clusterId: String
    /// This node's identifier, unique in the cluster.
    public var nodeId: String
    /// NATS server URLs (`nats://host:port`, `tls://host:port`); the JSON's `nats.servers`.
    public var natsURLs: [String]
    /// Path of a NATS credentials (`.creds`) file; `nil` for none. The JSON's `nats.credentials` (empty = none).
    public var natsCredentials: String?
    /// Wait between reconnection attempts; the JSON's `nats.reconnectWaitMs`.
    public var reconnectWait: Duration
    /// Reconnection attempts before giving up; -1 for unlimited. The JSON's `nats.maxReconnects`.
    public var maxReconnects: Int
    /// The lease time to live (the bucket's max age); the JSON's `election.leaseTtlMs`.
    public var leaseTTL: Duration
    /// The renewal period; the JSON's `election.heartbeatIntervalMs`.
    public var heartbeatInterval: Duration
    /// The micro service's version; the JSON's `service.version`.
    public var serviceVersion: String
    /// The floating address this cluster's leader holds; `nil` for election only.
    public var vip: VIPConfig?

    /// Creates a configuration; every parameter not given takes go-cluster's default.
    /// - Parameters:
    ///   - clusterId: The cluster's identifier.
    ///   - nodeId: This node's identifier.
    ///   - natsURLs: NATS server URLs.
    ///   - natsCredentials: Path of a credentials file, or `nil`.
    ///   - reconnectWait: Default 2 s.
    ///   - maxReconnects: Default -1 (unlimited).
    ///   - leaseTTL: Default 10 s.
    ///   - heartbeatInterval: Default 3 s.
    ///   - serviceVersion: Default "1.0.0".
    ///   - vip: The floating address, or `nil`.
    public init(
        clusterId: String,
        nodeId: String,
        natsURLs: [String],
        natsCredentials: String? = nil,
        reconnectWait: Duration = ClusterConfig.defaultReconnectWait,
        maxReconnects: Int = ClusterConfig.defaultMaxReconnects,
        leaseTTL: Duration = ClusterConfig.defaultLeaseTTL,
        heartbeatInterval: Duration = ClusterConfig.defaultHeartbeatInterval,
        serviceVersion: String = ClusterConfig.defaultServiceVersion,
        vip: VIPConfig? = nil
    ) {
        self.clusterId = clusterId
        self.nodeId = nodeId
        self.natsURLs = natsURLs
        self.natsCredentials = natsCredentials
        self.reconnectWait = reconnectWait
        self.maxReconnects = maxReconnects
        self.leaseTTL = leaseTTL
        self.heartbeatInterval = heartbeatInterval
        self.serviceVersion = serviceVersion
        self.vip = vip
    }

    /// The election parameters of this node; its other durations derive from the TTL and heartbeat.
    public var electionConfig: ElectionConfig {
        ElectionConfig(nodeId: nodeId, leaseTTL: leaseTTL, heartbeatInterval: heartbeatInterval)
    }
}

/// The floating address the leader holds: the seed's `vip` object (`ip addr add <address>/<netmask> dev <interface>`).
public struct VIPConfig: Sendable, Equatable {
    /// An IPv4 or IPv6 address in text form.
    public var address: String
    /// The prefix length: 0–32 for IPv4, 0–128 for IPv6.
    public var netmask: Int
    /// The network interface that carries the address (`eth0`).
    public var interface: String

    /// Creates a VIP configuration.
    /// - Parameters:
    ///   - address: An IPv4 or IPv6 address in text form.
    ///   - netmask: The prefix length.
    ///   - interface: The interface name.
    public init(address: String, netmask: Int, interface: String) {
        self.address = address
        self.netmask = netmask
        self.interface = interface
    }

    /// `address/netmask`, as go-cluster's `CIDR()`.
    public var cidr: String { "\(address)/\(netmask)" }
}
