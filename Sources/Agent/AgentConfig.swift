import Cluster
import Foundation

/// The agent's configuration: go-cluster's file format (``ClusterConfig``) plus the agent's own keys.
///
/// ```json
/// {
///   "clusterId": "web", "nodeId": "host-a",
///   "nats": { "servers": ["nats://10.0.0.5:4222"], "credentials": "/etc/swift-cluster/agent.creds",
///             "tls": { "ca": "/etc/ssl/nats-ca.pem", "cert": "...", "key": "..." }, "nkeySeedFile": "/etc/swift-cluster/agent.nk", "bucketReplicas": 3 },
///   "vip": { "address": "198.18.0.100", "netmask": 24, "interface": "eth0" },
///   "vips": [ { "address": "2001:db8:18::100", "netmask": 64, "interface": "eth0" } ],
///   "announce": { "count": 3, "intervalMs": 100, "refreshMs": 0 },
///   "election": { "leaseTtlMs": 10000, "heartbeatIntervalMs": 3000 },
///   "service": { "version": "1.0.0" },
///   "user": "swift-cluster",
///   "notify": { "master": "/etc/swift-cluster/notify.sh", "backup": "...", "fault": "...", "timeoutMs": 10000 },
///   "healthChecks": [ { "name": "nginx", "command": ["/usr/bin/curl", "-fsS", "http://127.0.0.1/"],
///                       "intervalMs": 2000, "timeoutMs": 1000, "fall": 3, "rise": 2 } ],
///   "trackInterfaces": ["eth1"],
///   "metrics": { "listen": "127.0.0.1:9464" }
/// }
/// ```
public struct AgentConfig: Sendable, Equatable {
    /// Where the agent reads its configuration unless told otherwise.
    public static let defaultPath = "/etc/swift-cluster/cluster.json"

    /// The seed's part: identity, NATS, timing, service and the seed's single `vip`.
    public var cluster: ClusterConfig
    /// Every VIP the leader holds: the seed's `vip` first, then `vips`.
    public var vips: [VIPConfig]
    /// Gratuitous ARP / unsolicited NA announcements after taking the VIPs.
    public var announce: AnnounceConfig
    /// The user to run as after opening the sockets (keeping only CAP_NET_ADMIN and CAP_NET_RAW); `nil`
    /// keeps the current user (for a unit that starts the agent unprivileged with ambient capabilities).
    public var user: String?
    /// NATS TLS files.
    public var tls: TLSFiles?
    /// Path of a file holding an NKEY seed (`SU...`), for NKEY authentication without a JWT.
    public var nkeySeedFile: String?
    /// Notify scripts run on transitions.
    public var notify: NotifyConfig
    /// Commands whose failures make the node step down and stop contending.
    public var healthChecks: [HealthCheckConfig]
    /// Interfaces whose link must be up for the node to contend, besides the VIPs' own interfaces.
    public var trackInterfaces: [String]
    /// The Prometheus endpoint; `nil` (the default) for none.
    public var metricsListen: ListenAddress?
    /// Replicas of the buckets when this node creates them (`nats.bucketReplicas`, 1–5; default 1). Use 3
    /// on a 3-server NATS cluster so the lease survives the loss of a server.
    public var bucketReplicas: Int = 1

    /// Creates a configuration with the agent's defaults around `cluster`.
    public init(cluster: ClusterConfig) {
        self.cluster = cluster
        self.vips = cluster.vip.map { [$0] } ?? []
        self.announce = AnnounceConfig()
        self.user = nil
        self.tls = nil
        self.nkeySeedFile = nil
        self.notify = NotifyConfig()
        self.healthChecks = []
        self.trackInterfaces = []
        self.metricsListen = nil
    }

    /// The interfaces that must be up: the VIPs' and the tracked ones, without duplicates, in order.
    public var requiredInterfaces: [String] {
        var seen: Set<String> = []
        return (vips.map(\.interface) + trackInterfaces).filter { seen.insert($0).inserted }
    }
}

/// How the leader announces its VIPs.
public struct AnnounceConfig: Sendable, Equatable {
    /// Frames per burst (gratuitous ARP for IPv4, unsolicited NA for IPv6). Default 3.
    public var count: Int = 3
    /// Time between the frames of a burst. Default 100 ms.
    public var interval: Duration = .milliseconds(100)
    /// Re-announce every VIP this often while leader; `nil` (the default, `refreshMs: 0`) for never.
    public var refresh: Duration?

    public init() {}
}

/// NATS TLS files (PEM).
public struct TLSFiles: Sendable, Equatable {
    /// CA bundle that signs the servers' certificates; `nil` for the system's trust store.
    public var ca: String?
    /// Client certificate (mutual TLS); with `key`.
    public var cert: String?
    /// Client private key; with `cert`.
    public var key: String?

    public init(ca: String? = nil, cert: String? = nil, key: String? = nil) {
        self.ca = ca
        self.cert = cert
        self.key = key
    }
}

/// keepalived's notify_master / notify_backup / notify_fault.
public struct NotifyConfig: Sendable, Equatable {
    /// Run on becoming leader.
    public var master: String?
    /// Run on following a leader (and at start, once the election settled as a follower).
    public var backup: String?
    /// Run on a fault: not eligible (health check, tracked interface, maintenance) or NATS lost.
    public var fault: String?
    /// How long a script may run before its process group is killed. Default 10 s.
    public var timeout: Duration = .seconds(10)

    public init() {}

    /// Whether any script is configured.
    public var isEmpty: Bool { master == nil && backup == nil && fault == nil }
}

/// keepalived's track_script: a command run every interval.
public struct HealthCheckConfig: Sendable, Equatable {
    /// A name for status, logs and metrics.
    public var name: String
    /// The executable (absolute path) and its arguments; no shell unless written (`["/bin/sh", "-c", "..."]`).
    public var command: [String]
    /// Time between the starts of two runs. Default 2 s.
    public var interval: Duration = .seconds(2)
    /// How long one run may take (a timeout counts as a failure). Default 1 s.
    public var timeout: Duration = .seconds(1)
    /// Consecutive failures that make the node unhealthy. Default 3.
    public var fall: Int = 3
    /// Consecutive successes that make it healthy again. Default 2.
    public var rise: Int = 2

    public init(name: String, command: [String]) {
        self.name = name
        self.command = command
    }
}

/// A loopback `host:port` to listen on.
public struct ListenAddress: Sendable, Equatable, CustomStringConvertible {
    /// `127.0.0.1`, `::1`, any 127.0.0.0/8 address.
    public var host: String
    /// The TCP port (0 = any free port).
    public var port: Int

    public init(host: String, port: Int) {
        self.host = host
        self.port = port
    }

    public var description: String { host.contains(":") ? "[\(host)]:\(port)" : "\(host):\(port)" }
}
