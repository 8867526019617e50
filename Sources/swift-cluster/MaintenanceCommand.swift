import Agent
import ArgumentParser
import Cluster
import Foundation
import JetStream

struct MaintenanceCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "maintenance",
        abstract: "Keep a node (or the whole cluster) from contending, persistently, or let it contend again.",
        discussion: """
            "on" sets a flag in the bucket KV_CLUSTER_<clusterId>_maintenance that every daemon watches: the node \
            (or every node, with --cluster) steps down if it leads and does not contend until "off". The flag \
            survives restarts of every node. "show" prints the flags set.
            """)

    enum Action: String, ExpressibleByArgument, CaseIterable {
        case on, off, show
    }

    @OptionGroup var options: ConfigOptions
    @OptionGroup var timeout: TimeoutOption
    @Argument(help: "on, off or show.") var action: Action
    @Option(name: .long, help: "The node (default: this host's node id).") var node: String?
    @Flag(name: .long, help: "The whole cluster instead of one node.") var cluster = false
    @Option(name: .long, help: "Why (shown in status and logs; required with on).") var reason: String?
    @Flag(name: .long, help: "Print JSON.") var json = false

    func validate() throws {
        if action == .on, (reason ?? "").isEmpty { throw ValidationError("maintenance on: --reason is required") }
        if cluster, node != nil { throw ValidationError("use either --node or --cluster") }
    }

    func run() throws {
        let config = try options.load()
        let key = cluster ? MaintenanceFlag.clusterKey : MaintenanceFlag.nodeKey(node ?? config.cluster.nodeId)
        let flag = MaintenanceFlag(
            reason: reason ?? "", since: Date().formatted(.iso8601),
            by: "\(ProcessInfo.processInfo.userName)@\(ClusterConfig.systemHostName())")
        let (action, clusterId) = (self.action, config.cluster.clusterId)
        let flags = try withControl(config, timeout: timeout.duration) { control -> [String: MaintenanceFlag] in
            let kv = try await MaintenanceFlag.open(
                JetStreamContext(connection: control.connection, requestTimeout: control.timeout), clusterId: clusterId)
            switch action {
            case .on: _ = try await kv.put(key, String(decoding: try JSONEncoder().encode(flag), as: UTF8.self))
            case .off: _ = try await kv.delete(key)
            case .show: break
            }
            var flags: [String: MaintenanceFlag] = [:]
            for name in try await kv.keys() {
                if let entry = try await kv.get(name), entry.operation == .put, let flag = MaintenanceFlag(bytes: entry.value) {
                    flags[name] = flag
                }
            }
            return flags
        }
        if json {
            let data = try JSONEncoder().encode(flags)
            print(String(decoding: data, as: UTF8.self))
            return
        }
        switch action {
        case .on: print("maintenance on for \(cluster ? "the whole cluster" : key.dropFirst(5).description): \(reason ?? "")")
        case .off: print("maintenance off for \(cluster ? "the whole cluster" : key.dropFirst(5).description)")
        case .show:
            if flags.isEmpty { print("no maintenance flags set") }
            for (name, flag) in flags.sorted(by: { $0.key < $1.key }) {
                print("\(name == MaintenanceFlag.clusterKey ? "whole cluster" : String(name.dropFirst(5))): \(flag.reason) (since \(flag.since), by \(flag.by))")
            }
        }
    }
}
