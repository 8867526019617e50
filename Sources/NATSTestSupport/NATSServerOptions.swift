import Foundation

extension NATSServer {
    /// How to configure a test server. Every field has a default suitable for a single JetStream server.
    public struct Options: Sendable {
        /// `server_name`; required (and distinct) in a JetStream cluster. `nil` lets the server pick its id.
        public var serverName: String?
        /// Enable JetStream with `store_dir` inside the server's temporary directory.
        public var jetStream: Bool
        /// Enable the HTTP monitoring endpoint on a free loopback port (see ``NATSServer/monitoringPort``).
        public var monitoring: Bool
        /// Require TLS for client connections.
        public var tls: TLS?
        /// Join a cluster (used by ``NATSCluster``).
        public var cluster: Cluster?
        /// Config text appended verbatim: `authorization { ... }`, `ping_interval: "1s"`, operator blocks, ...
        public var extraConfig: String
        /// `lame_duck_duration`: the server's default is 2 minutes; 2.9 rejects anything under 30 seconds.
        public var lameDuckDuration: Duration
        /// `lame_duck_grace_period`: how long after SIGUSR2 the server starts closing clients (default here 1 s;
        /// the server's own default is 10 s). Must be shorter than ``lameDuckDuration``.
        public var lameDuckGracePeriod: Duration
        /// Log protocol traces (`debug` and `trace`); the log can get large.
        public var trace: Bool
        /// How long ``NATSServer/start()`` waits for the server to accept connections.
        public var startTimeout: Duration
        /// The `nats-server` binary (default: ``NATSServer/defaultExecutable``).
        public var executable: String

        /// Creates options; see each property for its meaning.
        public init(
            serverName: String? = nil,
            jetStream: Bool = true,
            monitoring: Bool = false,
            tls: TLS? = nil,
            cluster: Cluster? = nil,
            extraConfig: String = "",
            lameDuckDuration: Duration = .seconds(30),
            lameDuckGracePeriod: Duration = .seconds(1),
            trace: Bool = false,
            startTimeout: Duration = .seconds(15),
            executable: String = NATSServer.defaultExecutable
        ) {
            self.serverName = serverName
            self.jetStream = jetStream
            self.monitoring = monitoring
            self.tls = tls
            self.cluster = cluster
            self.extraConfig = extraConfig
            self.lameDuckDuration = lameDuckDuration
            self.lameDuckGracePeriod = lameDuckGracePeriod
            self.trace = trace
            self.startTimeout = startTimeout
            self.executable = executable
        }
    }

    /// A `tls { }` block for client connections.
    public struct TLS: Sendable {
        /// PEM server certificate (`cert_file`).
        public var certFile: String
        /// PEM server private key (`key_file`).
        public var keyFile: String
        /// PEM CA used to verify client certificates (`ca_file`).
        public var caFile: String?
        /// Require and verify a client certificate (`verify: true`).
        public var verify: Bool
        /// TLS handshake timeout in seconds (`timeout`).
        public var timeout: Double

        /// Creates a TLS block.
        /// - Parameters:
        ///   - certFile: Server certificate path.
        ///   - keyFile: Server key path.
        ///   - caFile: CA path for client verification.
        ///   - verify: Require client certificates.
        ///   - timeout: Handshake timeout in seconds.
        public init(certFile: String, keyFile: String, caFile: String? = nil, verify: Bool = false, timeout: Double = 2)
        {
            self.certFile = certFile
            self.keyFile = keyFile
            self.caFile = caFile
            self.verify = verify
            self.timeout = timeout
        }

        /// A TLS block using the server certificate of a ``TestPKI``.
        /// - Parameters:
        ///   - pki: Files made by ``TestPKI/generate(in:)``.
        ///   - verify: Also require a client certificate signed by the test CA.
        public init(pki: TestPKI, verify: Bool = false) {
            self.init(certFile: pki.serverCertFile, keyFile: pki.serverKeyFile, caFile: pki.caFile, verify: verify)
        }
    }

    /// A `cluster { }` block. Route ports must be known up front, so they are fixed numbers.
    public struct Cluster: Sendable {
        /// The cluster name (identical on every member).
        public var name: String
        /// This server's route listen port on 127.0.0.1.
        public var port: Int
        /// Route ports of all members (this server's own port may be included; the server drops it).
        public var routePorts: [Int]

        /// Creates a cluster block.
        /// - Parameters:
        ///   - name: The cluster name.
        ///   - port: This server's route port.
        ///   - routePorts: Every member's route port.
        public init(name: String, port: Int, routePorts: [Int]) {
            self.name = name
            self.port = port
            self.routePorts = routePorts
        }
    }
}

extension NATSServer.Options {
    /// Renders the configuration file.
    /// - Parameters:
    ///   - directory: The server's temporary directory (store and ports file go here).
    ///   - port: Fixed client port, or `nil` for a free one (`-1`).
    ///   - monitoringPort: Fixed monitoring port, or `nil` for a free one.
    func configText(directory: String, port: Int?, monitoringPort: Int?) -> String {
        var lines: [String] = []
        if let serverName { lines.append("server_name: \(quoted(serverName))") }
        lines.append("listen: \"127.0.0.1:\(port ?? -1)\"")
        lines.append("ports_file_dir: \(quoted(directory))")
        lines.append("lame_duck_duration: \"\(seconds(lameDuckDuration))s\"")
        lines.append("lame_duck_grace_period: \"\(seconds(lameDuckGracePeriod))s\"")
        if monitoring { lines.append("http: \"127.0.0.1:\(monitoringPort ?? -1)\"") }
        if trace { lines.append("debug: true\ntrace: true") }
        if jetStream { lines.append("jetstream {\n  store_dir: \(quoted(directory + "/store"))\n}") }
        if let tls { lines.append(tlsBlock(tls)) }
        if let cluster {
            let routes = cluster.routePorts.map { "nats-route://127.0.0.1:\($0)" }.joined(separator: ", ")
            lines.append(
                """
                cluster {
                  name: \(quoted(cluster.name))
                  listen: "127.0.0.1:\(cluster.port)"
                  routes: [ \(routes) ]
                }
                """
            )
        }
        if !extraConfig.isEmpty { lines.append(extraConfig) }
        return lines.joined(separator: "\n") + "\n"
    }

    private func tlsBlock(_ tls: NATSServer.TLS) -> String {
        var block = "tls {\n  cert_file: \(quoted(tls.certFile))\n  key_file: \(quoted(tls.keyFile))\n"
        if let ca = tls.caFile { block += "  ca_file: \(quoted(ca))\n" }
        block += "  verify: \(tls.verify)\n  timeout: \(tls.timeout)\n}"
        return block
    }

    private func seconds(_ duration: Duration) -> String {
        let (whole, atto) = duration.components
        return String(format: "%g", Double(whole) + Double(atto) / 1e18)
    }

    private func quoted(_ text: String) -> String {
        "\"" + text.replacingOccurrences(of: "\\", with: "\\\\").replacingOccurrences(of: "\"", with: "\\\"") + "\""
    }
}

extension Duration {
    /// The duration in seconds as a `TimeInterval`.
    var timeInterval: TimeInterval {
        let (whole, atto) = components
        return TimeInterval(whole) + TimeInterval(atto) / 1e18
    }
}
