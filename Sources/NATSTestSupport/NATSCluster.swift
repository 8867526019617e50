import Foundation

/// Several `nats-server`s on loopback forming one cluster (default 3 with JetStream, enough for R3).
///
/// Each member has its own temporary directory and store, a distinct `server_name` (`n1`, `n2`, ...),
/// a route port and a monitoring port. Start-up returns once every member reports the same JetStream
/// metadata leader (`/jsz`).
///
/// ```swift
/// let cluster = try NATSCluster()
/// let client = try await NATSConnection.connect(to: cluster.urls)
/// cluster.servers[0].kill()
/// try cluster.waitForMetaLeader()
/// try cluster.servers[0].start()
/// ```
public final class NATSCluster: @unchecked Sendable {
    /// The members, in start order. Use their ``NATSServer/kill()``, ``NATSServer/stop(timeout:)``,
    /// ``NATSServer/start()`` and ``NATSServer/restart()``.
    public let servers: [NATSServer]
    /// The cluster name.
    public let name: String

    /// Client URLs of all members (`nats://127.0.0.1:PORT`), running or not.
    public var urls: [String] { servers.map(\.url) }

    /// Starts the cluster and waits for a JetStream metadata leader.
    /// - Parameters:
    ///   - size: The number of servers (3 for R3 streams).
    ///   - name: The cluster name.
    ///   - jetStream: Enable JetStream (and wait for a metadata leader). Without it, start-up waits for the
    ///     full route mesh only.
    ///   - options: Base options for every member (`extraConfig`, `trace`, ...); `serverName`, `cluster`,
    ///     `monitoring` and `jetStream` are set by the cluster.
    ///   - readyTimeout: How long to wait for the routes and the metadata leader.
    /// - Throws: ``TestSupportError`` if a member does not start or the cluster does not form in time.
    public init(
        size: Int = 3,
        name: String = "test-cluster",
        jetStream: Bool = true,
        options: NATSServer.Options = .init(),
        readyTimeout: Duration = .seconds(30)
    ) throws {
        self.name = name
        var base = options
        base.jetStream = jetStream
        self.servers = try Self.startMembers(size: size, name: name, options: base)
        try waitForRoutes(timeout: readyTimeout)
        if jetStream { try waitForMetaLeader(timeout: readyTimeout) }
    }

    /// Client ports of all members.
    public var ports: [Int] { servers.map(\.port) }

    /// Waits until every running member has a route to every other running member (`/routez`).
    /// - Parameter timeout: The deadline.
    /// - Throws: ``TestSupportError`` with `timeout` (including each member's route count).
    public func waitForRoutes(timeout: Duration = .seconds(30)) throws {
        let deadline = Date().addingTimeInterval(timeout.timeInterval)
        var counts: [Int?] = []
        while Date() < deadline {
            let running = runningServers
            counts = running.map(Self.routeCount)
            if counts.allSatisfy({ ($0 ?? -1) >= running.count - 1 }) { return }
            usleep(20_000)
        }
        throw TestSupportError(.timeout, "routes not meshed after \(timeout); route counts: \(counts)")
    }

    deinit {
        remove()
    }

    /// Stops every member and deletes their directories.
    public func remove() {
        for server in servers { server.remove() }
    }

    /// The running members.
    public var runningServers: [NATSServer] { servers.filter(\.isRunning) }

    /// Waits until every running member reports the same JetStream metadata leader, and that leader is running.
    /// - Parameter timeout: The deadline.
    /// - Returns: The leader's `server_name`.
    /// - Throws: ``TestSupportError`` with `timeout` (including each member's view).
    @discardableResult
    public func waitForMetaLeader(timeout: Duration = .seconds(30)) throws -> String {
        let deadline = Date().addingTimeInterval(timeout.timeInterval)
        var views: [String?] = []
        while Date() < deadline {
            let running = runningServers
            views = running.map(Self.metaLeader)
            // Survivors keep naming a killed leader until the Raft election timeout (4-9 s): require a live one.
            if let first = views.first, let leader = first, views.allSatisfy({ $0 == leader }),
                running.contains(where: { $0.options.serverName == leader })
            {
                return leader
            }
            usleep(20_000)
        }
        throw TestSupportError(.timeout, "no agreed JetStream meta leader after \(timeout); views: \(views)")
    }

    /// The index in ``servers`` of the member named `serverName` (e.g. a stream's `cluster.leader`).
    /// - Parameter serverName: A `server_name` such as `n2`.
    public func index(ofServerNamed serverName: String) -> Int? {
        servers.firstIndex { $0.options.serverName == serverName }
    }

    /// `num_routes` from one server's `/routez`, or `nil`.
    static func routeCount(_ server: NATSServer) -> Int? {
        guard let port = server.monitoringPort, let body = Loopback.httpGet(port: port, path: "/routez"),
            let json = try? JSONSerialization.jsonObject(with: Data(body)) as? [String: Any]
        else { return nil }
        return json["num_routes"] as? Int
    }

    /// The metadata leader as seen by one server's `/jsz`, or `nil`.
    static func metaLeader(_ server: NATSServer) -> String? {
        guard let port = server.monitoringPort, let body = Loopback.httpGet(port: port, path: "/jsz"),
            let json = try? JSONSerialization.jsonObject(with: Data(body)) as? [String: Any],
            let meta = json["meta_cluster"] as? [String: Any],
            let leader = meta["leader"] as? String, !leader.isEmpty
        else { return nil }
        return leader
    }

    /// Starts the members, retrying with new route ports if a pre-allocated one was taken meanwhile.
    private static func startMembers(size: Int, name: String, options: NATSServer.Options) throws -> [NATSServer] {
        var attempt = 1
        while true {
            do {
                return try startMembersOnce(size: size, name: name, options: options)
            } catch let error as TestSupportError where error.code == .portInUse && attempt < 3 {
                attempt += 1
            }
        }
    }

    private static func startMembersOnce(size: Int, name: String, options: NATSServer.Options) throws -> [NATSServer] {
        var routePorts: Set<Int> = []
        while routePorts.count < size { routePorts.insert(try Loopback.freePort()) }
        let ports = Array(routePorts)
        var started: [NATSServer] = []
        do {
            for index in 0..<size {
                var member = options
                member.serverName = "n\(index + 1)"
                member.monitoring = true
                member.cluster = NATSServer.Cluster(name: name, port: ports[index], routePorts: ports)
                started.append(try NATSServer(options: member))
            }
        } catch {
            for server in started { server.remove() }
            throw error
        }
        return started
    }
}
