import Agent
import ArgumentParser
import Cluster
import Election
import Foundation
import JetStream

struct JoinCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "join",
        abstract: "Check that this node can reach the cluster: NATS, the lease bucket, the leader, its own daemon.",
        discussion: "A quick connectivity check; it does not start a node (run the daemon for that).")

    @OptionGroup var options: ConfigOptions
    @OptionGroup var timeout: TimeoutOption
    @Flag(name: .long, help: "Print JSON.") var json = false

    func run() throws {
        let config = try options.load()
        let nodeId = config.cluster.nodeId
        let report = try withControl(config, timeout: timeout.duration) { control -> JoinReport in
            var report = JoinReport(clusterId: config.cluster.clusterId, nodeId: nodeId)
            let js = JetStreamContext(connection: control.connection, requestTimeout: control.timeout)
            do {
                let kv = try await js.keyValue(ClusterConfig.bucketName(clusterId: config.cluster.clusterId))
                report.bucket = true
                if let entry = try await kv.get(ClusterConfig.leaderKey), entry.operation == .put,
                    case .record(let lease) = LeaseValue(bytes: entry.value, revision: entry.revision)
                {
                    report.leader = lease.nodeId
                    report.epoch = lease.epoch
                }
            } catch {
                report.bucket = false
            }
            report.daemon = (try? await control.ping(nodeId))?.ok ?? false
            return report
        }
        if json {
            let data = try JSONEncoder().encode(report)
            print(String(decoding: data, as: UTF8.self))
        } else {
            print("NATS:    reachable")
            print("Bucket:  \(report.bucket ? ClusterConfig.bucketName(clusterId: report.clusterId) : "not created yet (the first daemon creates it)")")
            print("Leader:  \(report.leader.map { "\($0) (epoch \(report.epoch ?? 0))" } ?? "(none)")")
            print("Daemon:  \(report.daemon ? "\(nodeId) is running" : "\(nodeId) is not running")")
        }
    }
}

struct JoinReport: Codable, Sendable {
    var clusterId: String
    var nodeId: String
    var bucket = false
    var leader: String?
    var epoch: UInt64?
    var daemon = false
}

struct LeaveCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "leave",
        abstract: "Hand leadership over if this node leads (graceful stepdown of its daemon).",
        discussion: "To take the node out for longer, stop its daemon (systemctl stop swift-cluster).")

    @OptionGroup var options: ConfigOptions
    @OptionGroup var timeout: TimeoutOption
    @Flag(name: .long, help: "Print JSON.") var json = false

    func run() throws {
        let config = try options.load()
        let nodeId = config.cluster.nodeId
        let steppedDown = try withControl(config, timeout: timeout.duration) { control -> Bool in
            let status = try await control.status(of: nodeId)
            guard status.role == "PRIMARY" else { return false }
            try await control.stepDown(nodeId)
            return true
        }
        if json {
            print(#"{"nodeId":"\#(nodeId)","steppedDown":\#(steppedDown)}"#)
        } else {
            print(steppedDown ? "\(nodeId) stepped down" : "\(nodeId) does not lead; nothing to hand over")
        }
    }
}
