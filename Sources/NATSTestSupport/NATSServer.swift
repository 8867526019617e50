import Foundation

#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// A real `nats-server` process for tests: generated config in a fresh temporary directory,
/// JetStream on by default, a free loopback port, torn down (process and directory) on ``stop()``/`deinit`.
///
/// ```swift
/// let server = try NATSServer()
/// defer { server.stop() }
/// let client = try await NATSConnection.connect(to: server.url)   // "nats://127.0.0.1:PORT"
/// server.kill(); try server.start()                               // same port, same store
/// ```
///
/// All methods block the calling thread for at most their deadline while polling (10 ms steps).
/// Set the environment variable `NATS_TEST_KEEP=1` to keep the directory (config, log, store) for inspection.
public final class NATSServer: @unchecked Sendable {
    /// The options the server was created with (cluster routes may be widened by ``NATSCluster``).
    public var options: Options { lock.withLock { state.options } }
    /// The server's private temporary directory (config, log, ports file, JetStream store).
    public let directory: String
    /// The server log (stdout and stderr of every run, appended). Print it when a test fails.
    public let logPath: String
    /// The generated configuration file.
    public var configPath: String { directory + "/nats-server.conf" }

    private let lock = NSLock()
    private var state: State

    private struct State {
        var options: Options
        var process: Process?
        var port: Int?
        var monitoringPort: Int?
        var removed = false
    }

    /// Whether `nats-server` can be run here (for `.enabled(if: NATSServer.isAvailable)`).
    public static var isAvailable: Bool { FileManager.default.isExecutableFile(atPath: defaultExecutable) }

    /// `$NATS_SERVER_BIN`, else the first `nats-server` on `$PATH`, else `/usr/sbin/nats-server`.
    public static var defaultExecutable: String {
        let environment = ProcessInfo.processInfo.environment
        if let explicit = environment["NATS_SERVER_BIN"], !explicit.isEmpty { return explicit }
        let searchPath = (environment["PATH"] ?? "") + ":/usr/sbin:/usr/local/bin:/usr/bin"
        for directory in searchPath.split(separator: ":") {
            let candidate = "\(directory)/nats-server"
            if FileManager.default.isExecutableFile(atPath: candidate) { return candidate }
        }
        return "/usr/sbin/nats-server"
    }

    /// Creates a temporary directory, writes the config and starts the server.
    /// - Parameter options: Server options (defaults: standalone, JetStream on).
    /// - Throws: ``TestSupportError`` if the server does not accept connections within `options.startTimeout`.
    public init(options: Options = Options()) throws {
        let base = FileManager.default.temporaryDirectory.path
        self.directory = "\(base)/nats-test-\(UUID().uuidString.prefix(8).lowercased())"
        self.logPath = directory + "/nats-server.log"
        self.state = State(options: options)
        do {
            try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        } catch {
            throw TestSupportError(.fileSystem, "cannot create \(directory): \(error)")
        }
        _ = FileManager.default.createFile(atPath: logPath, contents: nil)
        try start()
    }

    deinit {
        remove()
    }

    /// The client port on 127.0.0.1 (fixed after the first start; restarts reuse it).
    public var port: Int { lock.withLock { state.port ?? 0 } }
    /// `nats://127.0.0.1:<port>`.
    public var url: String { "nats://127.0.0.1:\(port)" }
    /// The HTTP monitoring port, if ``Options/monitoring`` is on.
    public var monitoringPort: Int? { lock.withLock { state.monitoringPort } }
    /// The process id while running, else `nil`.
    public var pid: Int32? { lock.withLock { state.process.flatMap { $0.isRunning ? $0.processIdentifier : nil } } }
    /// Whether the process is running.
    public var isRunning: Bool { pid != nil }

    /// Starts the server if it is not running, on the same ports and store as before, and waits until it
    /// answers with `INFO` on its client port.
    /// - Throws: ``TestSupportError`` (`serverExited` with the log tail, `timeout`, `executableNotFound`).
    public func start() throws {
        // A fixed port freed by kill() can be taken meanwhile by a client socket's ephemeral port: retry briefly.
        let deadline = Date().addingTimeInterval(5)
        while true {
            do {
                return try startOnce()
            } catch let error as TestSupportError where error.code == .portInUse && port != 0 && Date() < deadline {
                usleep(100_000)
            }
        }
    }

    private func startOnce() throws {
        if isRunning { return }
        let (options, port, monitoringPort) = lock.withLock { (state.options, state.port, state.monitoringPort) }
        guard FileManager.default.isExecutableFile(atPath: options.executable) else {
            throw TestSupportError(.executableNotFound, "no executable nats-server at \(options.executable)")
        }
        let config = options.configText(directory: directory, port: port, monitoringPort: monitoringPort)
        do {
            try config.write(toFile: configPath, atomically: true, encoding: .utf8)
        } catch {
            throw TestSupportError(.fileSystem, "cannot write \(configPath): \(error)")
        }
        let process = try launch(options.executable)
        lock.withLock { state.process = process }
        try waitUntilReady(process, timeout: options.startTimeout)
    }

    /// Stops the server gracefully (SIGTERM), escalating to SIGKILL after `timeout`, and waits for the exit.
    /// The temporary directory is kept until ``remove()`` or `deinit`.
    /// - Parameter timeout: How long to wait after SIGTERM.
    public func stop(timeout: Duration = .seconds(10)) {
        guard let process = lock.withLock({ state.process }), process.isRunning else { return }
        Loopback.signal(process.processIdentifier, SIGTERM)
        Loopback.signal(process.processIdentifier, SIGCONT)  // in case a test froze it with SIGSTOP
        if !Self.waitForExit(process, timeout: timeout) {
            Loopback.signal(process.processIdentifier, SIGKILL)
            _ = Self.waitForExit(process, timeout: .seconds(10))
        }
    }

    /// Kills the server at once (SIGKILL, a crash) and waits for the exit. Restart it with ``start()``.
    public func kill() {
        guard let process = lock.withLock({ state.process }), process.isRunning else { return }
        Loopback.signal(process.processIdentifier, SIGKILL)
        _ = Self.waitForExit(process, timeout: .seconds(10))
    }

    /// Stops the server gracefully (if running) and starts it again on the same port with the same store.
    /// - Throws: ``TestSupportError`` if it does not come back.
    public func restart() throws {
        stop()
        try start()
    }

    /// Puts the server into lame-duck mode (SIGUSR2): it stops accepting clients, sends an INFO with
    /// `ldm: true`, then closes client connections over ``Options/lameDuckDuration`` and exits.
    public func lameDuck() {
        guard let pid else { return }
        Loopback.signal(pid, SIGUSR2)
    }

    /// Waits until the process has exited (e.g. after ``lameDuck()``).
    /// - Parameter timeout: The deadline.
    /// - Returns: `true` if it exited in time.
    @discardableResult
    public func waitForExit(timeout: Duration) -> Bool {
        guard let process = lock.withLock({ state.process }) else { return true }
        return Self.waitForExit(process, timeout: timeout)
    }

    /// Stops the server and deletes its temporary directory (unless `NATS_TEST_KEEP` is set). Idempotent.
    public func remove() {
        stop()
        let alreadyRemoved = lock.withLock {
            defer { state.removed = true }
            return state.removed
        }
        guard !alreadyRemoved, ProcessInfo.processInfo.environment["NATS_TEST_KEEP"] == nil else { return }
        try? FileManager.default.removeItem(atPath: directory)
    }

    /// The server log so far (empty if unreadable).
    public func logContents() -> String {
        (try? String(contentsOfFile: logPath, encoding: .utf8)) ?? ""
    }

    /// The last `count` lines of the log, for error messages.
    public func logTail(_ count: Int = 25) -> String {
        logContents().split(separator: "\n", omittingEmptySubsequences: false).suffix(count).joined(separator: "\n")
    }

    /// Changes the options used by the next ``start()`` (e.g. to widen cluster routes).
    func updateOptions(_ body: (inout Options) -> Void) {
        lock.withLock { body(&state.options) }
    }

    private func launch(_ executable: String) throws -> Process {
        guard let log = FileHandle(forWritingAtPath: logPath) else {
            throw TestSupportError(.fileSystem, "cannot open \(logPath)")
        }
        log.seekToEndOfFile()
        let process = Process()
        process.executableURL = URL(fileURLWithPath: executable)
        process.arguments = ["-c", configPath]
        process.standardInput = FileHandle.nullDevice
        process.standardOutput = log
        process.standardError = log
        do {
            try process.run()
        } catch {
            throw TestSupportError(.executableNotFound, "cannot run \(executable): \(error)")
        }
        try? log.close()
        startWatchdog(serverPID: process.processIdentifier)
        return process
    }

    /// Starts `/bin/sh` polling both PIDs: if this test process dies (crash, runner timeout) before the
    /// server, the server is SIGKILLed, so no `nats-server` outlives its test. Exits with the server.
    private func startWatchdog(serverPID: Int32) {
        let me = ProcessInfo.processInfo.processIdentifier
        let watchdog = Process()
        watchdog.executableURL = URL(fileURLWithPath: "/bin/sh")
        watchdog.arguments = [
            "-c",
            "while kill -0 \(me) 2>/dev/null && kill -0 \(serverPID) 2>/dev/null; do sleep 0.5; done; "
                + "kill -0 \(me) 2>/dev/null || kill -9 \(serverPID) 2>/dev/null",
        ]
        watchdog.standardInput = FileHandle.nullDevice
        watchdog.standardOutput = FileHandle.nullDevice
        watchdog.standardError = FileHandle.nullDevice
        try? watchdog.run()
    }

    /// Polls: process alive → ports file written → client port answers `INFO`.
    private func waitUntilReady(_ process: Process, timeout: Duration) throws {
        let deadline = Date().addingTimeInterval(timeout.timeInterval)
        while Date() < deadline {
            guard process.isRunning else {
                let tail = logTail()
                let code: TestSupportError.Code = tail.contains("address already in use") ? .portInUse : .serverExited
                throw TestSupportError(code, "nats-server exited during start-up; log \(logPath):\n\(tail)")
            }
            if let ports = readPortsFile(pid: process.processIdentifier), Loopback.natsServerAnswers(port: ports.client)
            {
                lock.withLock {
                    state.port = ports.client
                    state.monitoringPort = ports.monitoring ?? state.monitoringPort
                }
                return
            }
            usleep(10_000)
        }
        kill()
        throw TestSupportError(.timeout, "nats-server not ready after \(timeout); log \(logPath):\n\(logTail())")
    }

    /// Reads `<name>_<pid>.ports` (JSON: `{"nats":["nats://127.0.0.1:P"],"monitoring":["http://..."]}`).
    private func readPortsFile(pid: Int32) -> (client: Int, monitoring: Int?)? {
        let suffix = "_\(pid).ports"
        guard
            let name = try? FileManager.default.contentsOfDirectory(atPath: directory).first(where: {
                $0.hasSuffix(suffix)
            }),
            let data = FileManager.default.contents(atPath: "\(directory)/\(name)"),
            let json = try? JSONSerialization.jsonObject(with: data) as? [String: Any],
            let client = (json["nats"] as? [String])?.first.flatMap(Self.portOf)
        else { return nil }
        return (client, (json["monitoring"] as? [String])?.first.flatMap(Self.portOf))
    }

    private static func portOf(_ url: String) -> Int? {
        url.split(separator: ":").last.flatMap { Int($0) }
    }

    private static func waitForExit(_ process: Process, timeout: Duration) -> Bool {
        let deadline = Date().addingTimeInterval(timeout.timeInterval)
        while process.isRunning {
            if Date() >= deadline { return false }
            usleep(5_000)
        }
        return true
    }
}
