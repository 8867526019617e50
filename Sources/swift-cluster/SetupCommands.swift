import Agent
import ArgumentParser
import Cluster
import Election
import Foundation
import Logging

struct DaemonCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "daemon",
        abstract: "Run the agent: join the election and hold the VIPs while leader.",
        discussion: """
            Opens its sockets, drops to the configured user with CAP_NET_ADMIN and CAP_NET_RAW only, removes \
            VIPs left behind by an earlier run, and joins. SIGTERM/SIGINT hand leadership over and exit 0; \
            SIGHUP re-reads the configuration (trackInterfaces, notify and health checks apply at once; the \
            rest needs a restart, as the log says).
            """)

    @OptionGroup var options: ConfigOptions
    @Option(name: .long, help: "debug, info, notice, warning or error.") var logLevel: String = "info"

    func validate() throws {
        guard Logger.Level(rawValue: logLevel) != nil || logLevel == "warn" else {
            throw ValidationError("--log-level: expected debug, info, notice, warning or error, found \"\(logLevel)\"")
        }
    }

    func run() throws {
        let config = try options.load()
        AgentLogHandler.bootstrap(level: Logger.Level(rawValue: logLevel == "warn" ? "warning" : logLevel) ?? .info)
        let daemon: Daemon
        do {
            daemon = try Daemon.prepare(config: config, configPath: options.config)
        } catch {
            AgentLogHandler.write(.critical, "cannot start: \(error)")
            throw ExitCode(error.exitCode)
        }
        // Threads may start from here on: privileges are dropped.
        let watcher = SignalWatcher()
        let status = try runAsync { await daemon.run(signals: watcher.signals) }
        if status != 0 { throw ExitCode(status) }
    }
}

struct CheckConfigCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "check-config",
        abstract: "Validate the configuration and print what its timers imply (like keepalived -t).")

    @OptionGroup var options: ConfigOptions
    @Flag(name: .long, help: "Print JSON.") var json = false

    func run() throws {
        let config = try options.load()
        let timing = TimingReport(config: config)
        if json {
            print(timing.json)
        } else {
            print("\(options.config): OK")
            print(timing.text)
        }
    }
}

struct VersionCommand: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "version", abstract: "Print the version.")

    @Flag(name: .long, help: "Print JSON.") var json = false

    func run() throws {
        print(json ? #"{"version":"\#(AgentVersion.string)"}"# : "swift-cluster \(AgentVersion.string)")
    }
}

struct InitCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "init", abstract: "Write a new configuration file (refuses to overwrite one).")

    @Option(name: [.short, .long], help: "The file to write.", completion: .file(extensions: ["json"]))
    var config: String = AgentConfig.defaultPath
    @Option(name: .long, help: "The cluster id.") var clusterId: String
    @Option(name: .long, help: "This node's id (default: the host name).") var nodeId: String?
    @Option(name: .long, help: "A NATS server URL (repeat for several).") var natsUrl: [String] = ["nats://localhost:4222"]
    @Option(name: .long, help: "The VIP's address.") var vipAddress: String?
    @Option(name: .long, help: "The VIP's prefix length.") var vipNetmask: Int?
    @Option(name: .long, help: "The VIP's interface.") var vipInterface: String?
    @Flag(name: .long, help: "Overwrite an existing file.") var force = false

    func run() throws {
        var cluster = ClusterConfig(
            clusterId: clusterId, nodeId: nodeId ?? ClusterConfig.systemHostName(), natsURLs: natsUrl)
        if let vipAddress {
            cluster.vip = VIPConfig(
                address: vipAddress, netmask: vipNetmask ?? (vipAddress.contains(":") ? 64 : 24),
                interface: vipInterface ?? "eth0")
        }
        let agent = AgentConfig(cluster: cluster)
        do {
            try agent.validate()
        } catch {
            printError("swift-cluster: \(error)")
            throw Exit.config
        }
        if FileManager.default.fileExists(atPath: config), !force {
            printError("swift-cluster: \(config) exists; use --force to overwrite it")
            throw Exit.refused
        }
        let text = agent.seedJSON
        guard FileManager.default.createFile(atPath: config, contents: Data(text.utf8), attributes: [.posixPermissions: 0o640])
        else {
            printError("swift-cluster: cannot write \(config)")
            throw Exit.osError
        }
        // The daemon runs as swift-cluster (the package's unit): let it read the file, as the shipped one.
        if let group = getgrnam("swift-cluster") {
            _ = chown(config, 0, group.pointee.gr_gid)
        }
        print("wrote \(config)")
    }
}
