import Cluster
import Foundation
import JetStream
import NATSClient
import NATSTestSupport

/// `election-node` processes of one cluster on one real nats-server, plus a client connection of the test's
/// own for status requests and KV access. Every process it started is SIGKILLed by PID in ``shutdown()``.
final class ProcessCluster {
    let server: NATSServer
    let clusterId: String
    let directory: String
    let client: NATSConnection
    /// The current process of each node id.
    private(set) var nodes: [String: NodeProcess] = [:]
    /// Every process started, for clean-up.
    private var started: [NodeProcess] = []

    static let ttlMs = 1500
    static let heartbeatMs = 300
    static var ttl: Duration { .milliseconds(ttlMs) }

    private init(server: NATSServer, client: NATSConnection) throws {
        self.server = server
        self.client = client
        clusterId = "p\(UInt32.random(in: 0...UInt32.max))"
        directory = FileManager.default.temporaryDirectory.appendingPathComponent("election-\(clusterId)").path
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
    }

    /// Launches a server and connects the test's client; starts no node.
    static func make() async throws -> ProcessCluster {
        let executable = electionNodeExecutable()
        guard FileManager.default.isExecutableFile(atPath: executable) else {
            throw NodeTestFailure("election-node must be built next to the tests (swift build --build-tests): \(executable)")
        }
        let server = try await NATSServer.launch()
        do {
            return try ProcessCluster(server: server, client: try await NodeTrio.connect(server.url))
        } catch {
            try? await offThread { server.remove() }
            throw error
        }
    }

    /// The text of a seed-format configuration file (plus the helper's `nats.pingIntervalMs` knob).
    func configJSON(_ nodeId: String, servers: [String], pingIntervalMs: Int?) -> String {
        let ping = pingIntervalMs.map { ", \"pingIntervalMs\": \($0)" } ?? ""
        let urls = servers.map { "\"\($0)\"" }.joined(separator: ", ")
        return """
            {"clusterId": "\(clusterId)", "nodeId": "\(nodeId)",
             "nats": {"servers": [\(urls)], "reconnectWaitMs": 200, "maxReconnects": -1\(ping)},
             "election": {"leaseTtlMs": \(Self.ttlMs), "heartbeatIntervalMs": \(Self.heartbeatMs)}}
            """
    }

    /// Writes `nodeId`'s configuration, starts its process and waits for its `started` line.
    /// - Parameters:
    ///   - servers: NATS URLs (default: the server directly).
    ///   - pingIntervalMs: How often the node's client pings (default: the client's 2 s).
    @discardableResult
    func start(_ nodeId: String, servers: [String]? = nil, pingIntervalMs: Int? = nil) async throws -> NodeProcess {
        let path = "\(directory)/\(nodeId).json"
        let json = configJSON(nodeId, servers: servers ?? [server.url], pingIntervalMs: pingIntervalMs)
        try json.write(toFile: path, atomically: true, encoding: .utf8)
        let process = try NodeProcess(nodeId: nodeId, configPath: path, directory: directory, index: started.count)
        started.append(process)
        nodes[nodeId] = process
        _ = try await process.waitFor("started line") { $0.event == "started" }
        return process
    }

    /// The node's answer on `cluster_<cid>.status.<nid>`, `nil` if it does not answer.
    func status(_ nodeId: String) async -> NodeStatus? {
        let subject = ClusterConfig.statusSubject(clusterId: clusterId, nodeId: nodeId)
        guard let reply = try? await client.request("", to: subject, timeout: .milliseconds(500)) else { return nil }
        return try? JSONDecoder().decode(NodeStatus.self, from: reply.data)
    }

    /// Polls the status of every node in `among` until exactly one is PRIMARY and all name it with one epoch.
    @discardableResult
    func waitForAgreedLeader(
        among: [String], excluding: String? = nil, timeout: Duration = .seconds(10)
    ) async throws -> (leader: String, epoch: UInt64) {
        let deadline = ContinuousClock.now + timeout
        var seen: [NodeStatus?] = []
        while ContinuousClock.now < deadline {
            seen = []
            for nodeId in among { seen.append(await status(nodeId)) }
            let answers = seen.compactMap { $0 }
            let primaries = answers.filter { $0.role == NodeRole.primary.rawValue }
            if answers.count == among.count, primaries.count == 1, primaries[0].nodeId != excluding,
                answers.allSatisfy({ $0.leader == primaries[0].nodeId && $0.epoch == primaries[0].epoch })
            {
                return (primaries[0].nodeId, primaries[0].epoch)
            }
            try await Task.sleep(for: .milliseconds(25))
        }
        throw NodeTestFailure("no agreed leader among \(among) within \(timeout); last statuses \(seen)")
    }

    /// A request to a control endpoint, decoded.
    func control(_ nodeId: String, _ command: String, body: String = "") async throws -> ControlReply {
        let subject = "\(ClusterConfig.serviceName(clusterId: clusterId)).control.\(nodeId).\(command)"
        let reply = try await client.request(body, to: subject, timeout: .seconds(3))
        return try JSONDecoder().decode(ControlReply.self, from: reply.data)
    }

    /// The lease bucket, through the test's client.
    func bucket() async throws -> KeyValue {
        try await JetStreamContext(connection: client).keyValue(ClusterConfig.bucketName(clusterId: clusterId))
    }

    /// SIGKILLs every process still running (by PID), closes the client, removes the server and the directory.
    func shutdown() async {
        for process in started { await process.kill9() }
        await client.close()
        let server = self.server
        try? await offThread { server.remove() }
        if ProcessInfo.processInfo.environment["NATS_TEST_KEEP"] == nil {
            try? FileManager.default.removeItem(atPath: directory)
        }
    }

    /// Runs `body`, then shuts down whether it threw or not; a failure reports every node's events.
    func run(_ body: (ProcessCluster) async throws -> Void) async throws {
        do {
            try await body(self)
        } catch {
            for process in started {
                print("[\(process.nodeId) pid \(process.pid)] events: \(process.events)\nstderr: \(process.stderrTail)")
            }
            await shutdown()
            throw error
        }
        await shutdown()
    }
}
