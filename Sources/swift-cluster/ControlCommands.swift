import Agent
import ArgumentParser
import Cluster
import Foundation

struct PromoteCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "promote",
        abstract: "Make a node the leader: the current leader hands the lease straight to it (no gap).",
        discussion: "Returns once the node leads. Cancels the node's stepdown cooldown.")

    @OptionGroup var options: ConfigOptions
    @OptionGroup var timeout: TimeoutOption
    @Option(name: .long, help: "The node to promote (default: this host's node id).") var node: String?
    @Flag(name: .long, help: "Print JSON.") var json = false

    func run() throws {
        let config = try options.load()
        let target = node ?? config.cluster.nodeId
        let wait = config.cluster.leaseTTL * 2
        let status = try withControl(config, timeout: timeout.duration) { control in
            try await control.promote(target, wait: wait)
            return try await control.status(of: target)
        }
        print(json ? Render.json(status, clusterId: config.cluster.clusterId) : "\(target) is leader (epoch \(status.epoch))")
    }
}

struct DemoteCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "demote",
        abstract: "Make the leading node step down; another node takes over at once.",
        discussion: "The node stays out for its cooldown (the lease TTL) unless no other node can take over.")

    @OptionGroup var options: ConfigOptions
    @OptionGroup var timeout: TimeoutOption
    @Option(name: .long, help: "The node to demote (default: this host's node id).") var node: String?
    @Flag(name: .long, help: "Print JSON.") var json = false

    func run() throws {
        let config = try options.load()
        let target = node ?? config.cluster.nodeId
        let settle = config.cluster.leaseTTL
        let status = try withControl(config, timeout: timeout.duration) { control -> NodeStatus in
            try await control.stepDown(target)
            // Report who took over (as the demoted node sees it), polling until the handover shows. The first
            // look comes 20 ms in, not at once: the handover itself takes a few ms, and a status request in
            // the middle of it only takes CPU from the nodes doing it.
            let deadline = ContinuousClock.now + settle
            var status: NodeStatus
            repeat {
                try await Task.sleep(for: .milliseconds(20))
                status = try await control.status(of: target)
            } while (status.leader.isEmpty || status.leader == target) && ContinuousClock.now < deadline
            return status
        }
        if json {
            print(Render.json(status, clusterId: config.cluster.clusterId))
        } else {
            print("\(target) stepped down; leader: \(status.leader.isEmpty ? "(none yet)" : status.leader) (epoch \(status.epoch))")
        }
    }
}
