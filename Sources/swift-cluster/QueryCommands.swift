import Agent
import ArgumentParser
import Cluster
import Foundation

struct StatusCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "status", abstract: "Show a node's status, as its running daemon reports it.")

    @OptionGroup var options: ConfigOptions
    @OptionGroup var timeout: TimeoutOption
    @Option(name: .long, help: "The node to ask (default: this host's node id from the configuration).")
    var node: String?
    @Flag(name: .long, help: "Print JSON.") var json = false

    func run() throws {
        let config = try options.load()
        let target = node ?? config.cluster.nodeId
        let status = try withControl(config, timeout: timeout.duration) { try await $0.status(of: target) }
        print(json ? Render.json(status, clusterId: config.cluster.clusterId) : Render.human(status, clusterId: config.cluster.clusterId))
    }
}

struct WatchCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "watch", abstract: "Show a node's status again and again until interrupted.")

    @OptionGroup var options: ConfigOptions
    @OptionGroup var timeout: TimeoutOption
    @Option(name: .long, help: "The node to ask (default: this host's node id).") var node: String?
    @Option(name: .long, help: "Refresh interval in milliseconds.") var intervalMs: Int = 2000
    @Option(name: .long, help: "Stop after this many refreshes (default: until interrupted).") var count: Int?
    @Flag(name: .long, help: "Print one JSON object per line.") var json = false

    func run() throws {
        let config = try options.load()
        let target = node ?? config.cluster.nodeId
        let clusterId = config.cluster.clusterId
        let (json, count, interval) = (self.json, self.count, Duration.milliseconds(max(50, intervalMs)))
        let clear = isatty(STDOUT_FILENO) == 1 && !json
        try withControl(config, timeout: timeout.duration) { control in
            var shown = 0
            while count.map({ shown < $0 }) ?? true {
                let text: String
                do {
                    let status = try await control.status(of: target)
                    text = json ? Render.json(status, clusterId: clusterId) : Render.human(status, clusterId: clusterId)
                } catch {
                    text = json ? #"{"nodeId":"\#(target)","error":"\#(error)"}"# : "\(target): \(error)"
                }
                print((clear ? "\u{1B}[H\u{1B}[2J" : "") + text)
                FileHandle.standardOutput.synchronizeFile()
                shown += 1
                if count.map({ shown >= $0 }) ?? false { break }
                try await Task.sleep(for: interval)
            }
        }
    }
}

struct MembersCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "members", abstract: "List every running node of the cluster (found through $SRV discovery).")

    @OptionGroup var options: ConfigOptions
    @OptionGroup var timeout: TimeoutOption
    @Flag(name: .long, help: "Print a JSON array.") var json = false

    func run() throws {
        let config = try options.load()
        let statuses = try withControl(config, timeout: timeout.duration) { control -> [NodeStatus] in
            var found: [NodeStatus] = []
            for nodeId in try await control.discover() {
                if let status = try? await control.status(of: nodeId) { found.append(status) }
            }
            return found
        }
        if json {
            print("[" + statuses.map { Render.json($0, clusterId: config.cluster.clusterId) }.joined(separator: ",") + "]")
        } else {
            print(Render.table(statuses))
        }
    }
}
