import Foundation
import NATSTestSupport

/// The test-side handle on one real nats-server (from NATSTestSupport), with the faults tests inject.
struct TestServer: Sendable {
    let server: NATSServer

    static func start(extraConfig: String = "", options: NATSServer.Options = .init()) async throws -> TestServer {
        var options = options
        options.extraConfig += "\n" + extraConfig
        let final = options
        return TestServer(server: try await offThread { try NATSServer(options: final) })
    }

    var url: String { server.url }
    var port: Int { server.port }

    /// Graceful stop (SIGTERM); the temporary store goes with the last reference.
    func stop() {
        server.stop()
    }

    /// A crash: SIGKILL.
    func kill() async throws { try await offThread { server.kill() } }

    /// Starts again on the same port with the same store.
    func restart() async throws { try await offThread { try server.start() } }

    /// Freezes the process (SIGSTOP): the socket stays open but nothing is answered.
    func freeze() {
        if let pid = server.pid { Foundation.kill(pid, SIGSTOP) }
    }

    func resume() {
        if let pid = server.pid { Foundation.kill(pid, SIGCONT) }
    }

    func lameDuck() { server.lameDuck() }

    /// A loopback TCP port that refuses connections for as long as the returned socket stays open
    /// (bound, never listening), so no other test can take it meanwhile.
    static func refusingPort() throws -> (port: Int, socket: Int32) {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        address.sin_port = 0
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        _ = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, length) }
        }
        _ = withUnsafeMutablePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(fd, $0, &length) }
        }
        return (Int(UInt16(bigEndian: address.sin_port)), fd)
    }

    /// A loopback TCP port free right now (released at once: only for configs that need a number).
    static func unusedPort() throws -> Int {
        let (port, fd) = try refusingPort()
        close(fd)
        return port
    }
}

/// Three routed servers on loopback (no JetStream: these tests are about the client's server pool).
struct TestCluster: Sendable {
    let servers: [NATSServer]

    static func start() async throws -> TestCluster {
        let routePorts = try (0..<3).map { _ in try TestServer.unusedPort() }
        var servers: [NATSServer] = []
        for index in 0..<3 {
            let options = NATSServer.Options(
                serverName: "c\(index)", jetStream: false,
                cluster: .init(name: "client-test", port: routePorts[index], routePorts: routePorts))
            servers.append(try await offThread { try NATSServer(options: options) })
        }
        return TestCluster(servers: servers)
    }

    var urls: [String] { servers.map(\.url) }
    var ports: [Int] { servers.map(\.port) }
    func kill(_ index: Int) async throws { try await offThread { servers[index].kill() } }
    func stop() { for server in servers { server.stop() } }
}

