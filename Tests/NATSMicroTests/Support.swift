import Foundation
import NATSClient
import NATSTestSupport
import Testing

@testable import NATSMicro

/// Where the repository's root is (this file is `Tests/NATSMicroTests/Support.swift`).
let packageRoot: String = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
    .deletingLastPathComponent().path

/// Connects a client to `server` with short timeouts.
func connect(_ server: NATSServer, name: String = "micro-test") async throws -> NATSConnection {
    try await NATSConnection.connect(NATSOptions(servers: [server.url], name: name))
}

/// Scatter-gather like `nats micro`: publishes with an inbox reply and collects every reply that arrives
/// until `quiet` passes without one (waiting up to `firstReply` for the first).
func gather(
    _ connection: NATSConnection, _ subject: String, body: String = "", firstReply: Duration = .seconds(3),
    quiet: Duration = .milliseconds(300)
) async throws -> [NATSMessage] {
    let inbox = connection.newInbox()
    let subscription = try connection.subscribe(to: inbox)
    try await connection.publish(body, to: subject, replyTo: inbox)
    try await connection.flush()
    let collected = Collected()
    let reader = Task {
        for await message in subscription { collected.append(message) }
    }
    // Like the nats CLI: the first reply may take up to `firstReply`, then stop once `quiet` passes without one.
    let deadline = ContinuousClock.now + firstReply
    while collected.count == 0 && ContinuousClock.now < deadline { try await Task.sleep(for: .milliseconds(10)) }
    var seen = -1
    while seen != collected.count {
        seen = collected.count
        try await Task.sleep(for: quiet)
    }
    try subscription.unsubscribe()
    await reader.value
    return collected.messages
}

/// Thread-safe accumulator for ``gather(_:_:body:firstReply:quiet:)``.
final class Collected: @unchecked Sendable {
    private let lock = NSLock()
    private var items: [NATSMessage] = []
    func append(_ message: NATSMessage) { lock.withLock { items.append(message) } }
    var count: Int { lock.withLock { items.count } }
    var messages: [NATSMessage] { lock.withLock { items } }
}

/// The reply body as a JSON object.
func jsonObject(_ message: NATSMessage, sourceLocation: SourceLocation = #_sourceLocation) throws -> [String: Any] {
    let value = try JSONSerialization.jsonObject(with: message.data)
    return try #require(value as? [String: Any], "not a JSON object: \(message.string)", sourceLocation: sourceLocation)
}

/// Runs a python script from `Tests/Interop` (see `InteropPython`).
func runInteropScript(_ script: String, _ arguments: [String]) async throws -> (status: Int32, output: String) {
    try await InteropPython.run(script, arguments)
}

/// Waits until `condition` holds (an endpoint's counters are updated just after its handler answered, so a
/// requester may see the reply first). Returns whether it held within `timeout`.
func eventually(timeout: Duration = .seconds(3), _ condition: () async throws -> Bool) async rethrows -> Bool {
    let deadline = ContinuousClock.now + timeout
    while ContinuousClock.now < deadline {
        if try await condition() { return true }
        try? await Task.sleep(for: .milliseconds(10))
    }
    return try await condition()
}
