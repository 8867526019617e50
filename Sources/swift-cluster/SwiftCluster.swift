import Agent
import ArgumentParser
import Cluster
import Foundation

/// `swift-cluster`: the agent's daemon and the operator's commands.
@main
struct SwiftCluster: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "swift-cluster",
        abstract: "Keep a floating IP on exactly one healthy host, elected through NATS JetStream.",
        discussion: """
            Query and control commands talk to the running daemons over the cluster's NATS control subjects \
            (cluster_<clusterId>.status|ping|control.<nodeId>...) and never start a competing node.

            Exit codes: 0 success; 1 refused (e.g. demote on a node that does not lead); 64 usage; \
            69 no daemon or NATS server answers; 71 a socket could not be opened; 75 timed out; \
            77 missing privileges; 78 configuration error.
            """,
        version: AgentVersion.string,
        subcommands: [
            DaemonCommand.self, StatusCommand.self, WatchCommand.self, MembersCommand.self, PromoteCommand.self,
            DemoteCommand.self, JoinCommand.self, LeaveCommand.self, CheckConfigCommand.self, InitCommand.self,
            MaintenanceCommand.self, VersionCommand.self,
        ])
}

/// Options every command that reads the configuration shares.
struct ConfigOptions: ParsableArguments {
    @Option(name: [.short, .long], help: "The configuration file.", completion: .file(extensions: ["json"]))
    var config: String = AgentConfig.defaultPath

    /// Loads the file, or exits 78 with the error naming the key.
    func load() throws -> AgentConfig {
        do {
            return try AgentConfig.load(fromFile: config)
        } catch {
            printError("swift-cluster: \(error)")
            throw ExitCode(ConfigError.exitCode)
        }
    }
}

/// Exit statuses (`sysexits.h`).
enum Exit {
    static let refused = ExitCode(1)
    static let unavailable = ExitCode(69)
    static let osError = ExitCode(71)
    static let timeout = ExitCode(75)
    static let permission = ExitCode(77)
    static let config = ExitCode(78)
}

/// A line on stderr.
func printError(_ text: String) {
    FileHandle.standardError.write(Data((text + "\n").utf8))
}
