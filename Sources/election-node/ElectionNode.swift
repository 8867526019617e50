/// election-node: a test helper (not shipped) that runs one cluster ``Node`` as its own process.
///
/// `election-node <config.json>` loads the seed-format JSON configuration, runs the node and prints one JSON
/// line per event on stdout (`started`, `becameLeader`, `lostLeadership`, `leaderChanged`, `disconnected`,
/// `reconnected`, `stopped`), each with `mono_ns` (`CLOCK_MONOTONIC`), so that lines of several processes on
/// one machine can be ordered. SIGTERM or SIGINT stops the node gracefully (a leader steps down) and exits 0;
/// so does the death of the parent process (`"signal": 0`), so that no helper outlives its test.
///
/// Besides the seed's keys the file may hold `nats.pingIntervalMs` and `nats.maxPingsOutstanding` (test
/// knobs: how late the client notices a silent connection). Exit status: 0 after a signal, 64 for bad usage,
/// 78 for a bad configuration (the problem on stderr), 69 when the node cannot start.
import Cluster
import Dispatch
import Foundation
import NATSClient

#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// The configuration plus the test knobs.
struct LoadedConfig {
    var cluster: ClusterConfig
    var pingInterval: Duration?
    var maxPingsOutstanding: Int?
}

/// Reads the file strictly: unknown keys, wrong types and rule violations are ``ConfigError``s.
func loadConfig(_ path: String) throws(ConfigError) -> LoadedConfig {
    let data: Data
    do {
        data = try Data(contentsOf: URL(fileURLWithPath: path))
    } catch {
        throw ConfigError(.unreadable, path: "", "cannot read \(path): \(error.localizedDescription)")
    }
    let root = try ConfigReader(json: data)
    let cluster = try ClusterConfig(reading: root)
    let nats = try root.object("nats")
    let ping = try nats?.integer("pingIntervalMs", in: 1...86_400_000)
    let outstanding = try nats?.integer("maxPingsOutstanding", in: 1...1000)
    try root.finish()
    try cluster.validate()
    return LoadedConfig(
        cluster: cluster, pingInterval: ping.map { .milliseconds($0) }, maxPingsOutstanding: outstanding.map { Int($0) })
}

/// Turns `numbers` into stream elements through dispatch sources; the default handlers are ignored so that
/// the node can step down first. Keep the returned sources alive.
nonisolated func watchSignals(
    _ numbers: [Int32], into continuation: AsyncStream<Int32>.Continuation
) -> [any DispatchSourceSignal] {
    numbers.map { number in
        signal(number, SIG_IGN)
        let source = DispatchSource.makeSignalSource(signal: number, queue: .global())
        source.setEventHandler { @Sendable in continuation.yield(number) }
        source.resume()
        return source
    }
}

@main
struct ElectionNode {
    static func main() async {
        let arguments = CommandLine.arguments
        guard arguments.count == 2 else {
            EventLine.diagnose("usage: election-node <config.json>")
            exit(64)
        }
        let loaded: LoadedConfig
        do {
            loaded = try loadConfig(arguments[1])
        } catch {
            EventLine.diagnose("bad configuration \(arguments[1]): \(error)")
            exit(ConfigError.exitCode)
        }
        let nodeId = loaded.cluster.nodeId
        var options = NodeOptions(config: loaded.cluster) { EventLine.diagnose("\(nodeId): \($0)") }
        if let ping = loaded.pingInterval { options.nats.pingInterval = ping }
        if let outstanding = loaded.maxPingsOutstanding { options.nats.maxPingsOutstanding = outstanding }

        let (signals, continuation) = AsyncStream.makeStream(of: Int32.self)
        let sources = watchSignals([SIGTERM, SIGINT], into: continuation)
        // A test helper must not outlive its test: when the parent goes away, leave as on a signal (0).
        let parent = getppid()
        let orphanWatch = Task.detached {
            while !Task.isCancelled, getppid() == parent { try? await Task.sleep(for: .milliseconds(250)) }
            continuation.yield(0)
        }

        let hooks = PrintingHooks(nodeId: nodeId)
        let node: Node
        do {
            node = try Node(options: options, hooks: hooks)
            try await node.start()
        } catch {
            EventLine.diagnose("\(nodeId) cannot start: \(error)")
            exit(69)
        }
        EventLine.emit("started", node: nodeId, ["pid": Int(getpid()), "cluster": loaded.cluster.clusterId])

        var received: Int32 = 0
        for await number in signals {
            received = number
            break
        }
        let wasLeader = await node.isLeader
        let lostBefore = hooks.lostCount
        await node.stop()
        // Hooks run on the node's own task: let a leader's `lostLeadership` line out before exiting.
        let deadline = ContinuousClock.now + .seconds(2)
        while wasLeader, hooks.lostCount == lostBefore, ContinuousClock.now < deadline {
            try? await Task.sleep(for: .milliseconds(5))
        }
        EventLine.emit("stopped", node: nodeId, ["signal": Int(received), "wasLeader": wasLeader])
        for source in sources { source.cancel() }
        orphanWatch.cancel()
        exit(0)
    }
}
