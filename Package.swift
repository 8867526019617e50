// swift-tools-version:6.0
// swift-cluster: a Linux high-availability agent that keeps a floating IP on exactly one healthy host,
// electing its leader through a NATS JetStream key-value store.
import PackageDescription

let nioCore: Target.Dependency = .product(name: "NIOCore", package: "swift-nio")
let nioPosix: Target.Dependency = .product(name: "NIOPosix", package: "swift-nio")
let nioSSL: Target.Dependency = .product(name: "NIOSSL", package: "swift-nio-ssl")
let nioFoundation: Target.Dependency = .product(name: "NIOFoundationCompat", package: "swift-nio")
let crypto: Target.Dependency = .product(name: "Crypto", package: "swift-crypto")
let logging: Target.Dependency = .product(name: "Logging", package: "swift-log")

let package = Package(
    name: "swift-cluster",
    products: [
        .library(name: "NATSClient", targets: ["NATSClient"]),
        .library(name: "JetStream", targets: ["JetStream"]),
        .library(name: "NATSMicro", targets: ["NATSMicro"]),
        .library(name: "VIP", targets: ["VIP"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-nio.git", from: "2.101.2"),
        .package(url: "https://github.com/apple/swift-nio-ssl.git", from: "2.37.6"),
        .package(url: "https://github.com/apple/swift-crypto.git", "3.12.3"..<"5.0.0"),
        .package(url: "https://github.com/apple/swift-log.git", from: "1.16.2"),
        .package(url: "https://github.com/apple/swift-system.git", from: "1.8.1"),
        .package(url: "https://github.com/apple/swift-argument-parser.git", from: "1.8.2"),
        .package(url: "https://github.com/swift-server/swift-prometheus.git", from: "2.4.1"),
    ],
    targets: [
        // MARK: NATS (issue 2)
        /// Pure wire codec: parser, encoder, headers, NUID. No sockets.
        .target(name: "NATSProtocol", dependencies: [nioCore]),
        /// NKEYs, JWT credentials files and nonce signing (Ed25519 through swift-crypto). Pure.
        .target(name: "NKeys", dependencies: [crypto]),
        /// The connection: handshake, auth, TLS, keepalive, reconnect, subscriptions, requests.
        .target(name: "NATSClient", dependencies: ["NATSProtocol", "NKeys", nioCore, nioPosix, nioSSL, logging]),
        /// JetStream API, publish acks, direct get, ordered push consumers and the key-value store.
        .target(name: "JetStream", dependencies: ["NATSClient", nioFoundation]),
        /// NATS micro services ($SRV discovery, endpoints, stats).
        .target(name: "NATSMicro", dependencies: ["NATSClient", nioFoundation]),
        /// Test and benchmark support: real nats-server processes on free loopback ports. Not shipped.
        .target(name: "NATSTestSupport", dependencies: ["NKeys"]),
        .executableTarget(name: "bench-nats", dependencies: ["NATSClient", "JetStream", "NATSTestSupport"]),

        .testTarget(name: "NATSProtocolTests", dependencies: ["NATSProtocol"]),
        .testTarget(name: "NKeysTests", dependencies: ["NKeys"]),
        .testTarget(name: "NATSClientTests", dependencies: ["NATSClient", "NATSTestSupport", "NKeys"]),
        .testTarget(name: "JetStreamTests", dependencies: ["JetStream", "NATSClient", "NATSTestSupport", logging]),
        .testTarget(
            name: "NATSMicroTests", dependencies: ["NATSMicro", "JetStream", "NATSClient", "NATSTestSupport"]),

        // MARK: VIP engine (issue 3)
        .systemLibrary(name: "CLibMnl", pkgConfig: "libmnl", providers: [.apt(["libmnl-dev"])]),
        .systemLibrary(name: "CLibCap", pkgConfig: "libcap", providers: [.apt(["libcap-dev"])]),
        /// Pure wire formats: netlink messages and attributes, rtnetlink address/link payloads, GARP and NA frames.
        .target(name: "VIPWire"),
        /// The engine: netlink sockets through libmnl, addresses, leases, monitoring, announcements.
        .target(
            name: "VIP",
            dependencies: ["VIPWire", "CLibMnl", .product(name: "SystemPackage", package: "swift-system")]
        ),
        /// Dropping root to a user that keeps exactly CAP_NET_ADMIN and CAP_NET_RAW (libcap).
        .target(name: "Capabilities", dependencies: ["CLibCap", .product(name: "SystemPackage", package: "swift-system")]),
        /// Test and benchmark support: throwaway network namespaces and veth pairs. Not shipped.
        .target(name: "VIPTestSupport", dependencies: ["VIP"]),
        /// Child helper for tests: drops privileges, then exercises netlink and ARP.
        .executableTarget(name: "vip-probe", dependencies: ["VIP", "Capabilities"]),
        .executableTarget(name: "bench-vip", dependencies: ["VIP", "VIPTestSupport"]),
        .testTarget(name: "VIPTests", dependencies: ["VIP", "VIPWire", "Capabilities", "VIPTestSupport"]),

        // MARK: Election (issue 4)
        /// Pure election state machine: lease, epochs, self-fencing. No I/O, no clock reads.
        .target(name: "Election"),
        .testTarget(name: "ElectionTests", dependencies: ["Election"]),

        // MARK: Cluster (issue 4)
        /// Configuration (the seed's JSON format, strict), names and subjects; the node driving the election
        /// against the KV bucket, its hooks and its micro service.
        .target(name: "Cluster", dependencies: ["Election", "NATSClient", "JetStream", "NATSMicro"]),
        /// Election timings on a real nats-server: graceful handover, transfer, crash failover (`make bench-election`).
        .executableTarget(
            name: "bench-election",
            dependencies: ["Cluster", "Election", "NATSClient", "JetStream", "NATSTestSupport", logging]),
        /// Test helper: one node as its own process, printing its events as JSON lines. Not shipped.
        .executableTarget(name: "election-node", dependencies: ["Cluster", "Election", "NATSClient"]),
        .testTarget(name: "ClusterTests", dependencies: ["Cluster", "NATSTestSupport", "NATSClient", "JetStream"]),

        // MARK: Agent (issue 5)
        /// The agent: its configuration (the seed's format plus VIPs, announcements, scripts, health checks,
        /// tracked interfaces, metrics) and the daemon wiring the election to the VIPs.
        .target(
            name: "Agent",
            dependencies: [
                "Cluster", "Election", "NATSClient", "JetStream", "VIP", "VIPWire", "Capabilities", "AgentScripts",
                "SystemdNotify", "ClusterMetrics", "CFence", logging,
            ]),
        /// The fence warden in C: a forked child that removes the VIPs when the agent dies or stops renewing.
        .target(name: "CFence"),
        /// Test helper: a FenceWarden guarding one address, to be killed, stopped or disarmed. Not shipped.
        .executableTarget(name: "fence-probe", dependencies: ["Agent", "VIP", "Capabilities"]),
        .testTarget(name: "AgentTests", dependencies: ["Agent", "Cluster", "Election", "VIP", "VIPTestSupport"]),
        /// The `swift-cluster` command: the daemon and the operator's commands.
        .executableTarget(
            name: "swift-cluster",
            dependencies: [
                "Agent", "Cluster", "Election", "NATSClient", "JetStream", .product(name: "ArgumentParser", package: "swift-argument-parser"),
                logging,
            ]),
        // MARK: Agent services (issue 5)
        /// The sd_notify protocol spoken directly on the NOTIFY_SOCKET datagram socket (no libsystemd).
        .target(name: "SystemdNotify"),
        .testTarget(name: "SystemdNotifyTests", dependencies: ["SystemdNotify"]),
        /// fork/exec of scripts in C: own process group, no ambient capabilities, output pipe, nothing else open.
        .target(name: "CSpawn"),
        /// Notify scripts (master/backup/fault) and health checks with fall/rise, run off the concurrency pool.
        .target(name: "AgentScripts", dependencies: ["CSpawn"]),
        .testTarget(name: "AgentScriptsTests", dependencies: ["AgentScripts", "CLibCap"]),
        /// The agent's Prometheus metrics and a loopback-only `GET /metrics` endpoint (NIOHTTP1).
        .target(
            name: "ClusterMetrics",
            dependencies: [
                .product(name: "Prometheus", package: "swift-prometheus"),
                .product(name: "NIOHTTP1", package: "swift-nio"), nioCore, nioPosix,
            ]
        ),
        .testTarget(name: "ClusterMetricsTests", dependencies: ["ClusterMetrics", nioCore, nioPosix]),
    ]
)
