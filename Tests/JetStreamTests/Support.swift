import Foundation
import JetStream
import Logging
import NATSClient
import NATSTestSupport
import Synchronization
import Testing

/// Fails the test with `message` (thrown, so the test stops).
struct TestFailure: Error, CustomStringConvertible {
    let description: String
    init(_ description: String) { self.description = description }
}

/// Connects a client suited to tests: fast keepalive and reconnects, ordered server list.
func connect(
    _ urls: [String],
    reconnectWait: Duration = .milliseconds(200),
    log: LogRecorder? = nil
) async throws -> NATSConnection {
    var options = NATSOptions(
        servers: urls,
        pingInterval: .seconds(1),
        maxPingsOutstanding: 2,
        connectTimeout: .seconds(2),
        reconnectWait: reconnectWait,
        maxReconnects: -1
    )
    options.retainServerOrder = true
    guard let log else { return try await NATSConnection.connect(options) }
    var logger = Logger(label: "nats-test") { _ in log }
    logger.logLevel = .debug
    return try await NATSConnection.connect(options, logger: logger)
}

/// Keeps the messages a client logs, so tests can wait for "reconnect attempt failed" and know the
/// client is now pausing for its reconnect wait.
final class LogRecorder: LogHandler, @unchecked Sendable {
    private let lines = Mutex<[String]>([])
    var metadata: Logger.Metadata = [:]
    var logLevel: Logger.Level = .debug

    subscript(metadataKey key: String) -> Logger.Metadata.Value? {
        get { metadata[key] }
        set { metadata[key] = newValue }
    }

    func log(event: LogEvent) {
        lines.withLock { $0.append(event.message.description) }
    }

    func count(_ text: String) -> Int { lines.withLock { $0.filter { $0.contains(text) }.count } }
}

/// Runs `body` against a fresh single JetStream server and a connected client, then tears both down.
func withJetStream<T>(
    reconnectWait: Duration = .milliseconds(200),
    log: LogRecorder? = nil,
    _ body: (NATSServer, NATSConnection, JetStreamContext) async throws -> T
) async throws -> T {
    let server = try NATSServer()
    defer { server.remove() }
    let connection = try await connect([server.url], reconnectWait: reconnectWait, log: log)
    let js = JetStreamContext(connection: connection)
    do {
        let result = try await body(server, connection, js)
        await connection.close()
        return result
    } catch {
        await connection.close()
        throw error
    }
}

/// Polls `condition` every 10 ms until it holds or `timeout` passes.
func eventually(
    _ what: String,
    timeout: Duration = .seconds(10),
    _ condition: () async throws -> Bool
) async throws {
    let clock = ContinuousClock()
    let deadline = clock.now + timeout
    while clock.now < deadline {
        if try await condition() { return }
        try await Task.sleep(for: .milliseconds(10))
    }
    throw TestFailure("timed out after \(timeout) waiting for: \(what)")
}

/// Reads a watch in the background and keeps every event, so tests can wait for them with deadlines.
final class WatchRecorder: Sendable {
    /// Shared between the reader task and the test.
    private final class Store: Sendable {
        let events = Mutex<[KeyValueWatchEvent]>([])
        let failure = Mutex<String?>(nil)
    }

    private let store = Store()
    private let task: Mutex<Task<Void, Never>?> = Mutex(nil)
    let watcher: KeyValueWatcher

    init(_ watcher: KeyValueWatcher) {
        self.watcher = watcher
        let store = self.store
        let reader = Task {
            do {
                for try await event in watcher { store.events.withLock { $0.append(event) } }
            } catch {
                store.failure.withLock { $0 = "\(error)" }
            }
        }
        task.withLock { $0 = reader }
    }

    private var failure: String? { store.failure.withLock { $0 } }

    var all: [KeyValueWatchEvent] { store.events.withLock { $0 } }

    /// The entries received so far, in order.
    var entries: [KeyValueEntry] {
        all.compactMap { if case .entry(let entry) = $0 { entry } else { nil } }
    }

    var upToDateCount: Int { all.filter { $0 == .upToDate }.count }

    /// Waits until at least `count` events arrived.
    func waitForEvents(_ count: Int, timeout: Duration = .seconds(10)) async throws {
        try await eventually("\(count) watch events (have \(all))", timeout: timeout) {
            if let failure { throw TestFailure("watch failed: \(failure)") }
            return all.count >= count
        }
    }

    /// Waits until an entry with this revision arrived.
    func waitForRevision(_ revision: UInt64, timeout: Duration = .seconds(20)) async throws {
        try await eventually("revision \(revision) (have \(entries.map(\.revision)))", timeout: timeout) {
            if let failure { throw TestFailure("watch failed: \(failure)") }
            return entries.contains { $0.revision == revision }
        }
    }

    func stop() async {
        await watcher.stop()
        task.withLock { $0?.cancel() }
    }
}

/// A bucket name unique to one test.
func bucketName(_ base: String) -> String {
    "\(base)_\(UUID().uuidString.prefix(6).lowercased())"
}
