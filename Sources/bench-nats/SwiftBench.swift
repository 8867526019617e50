import Foundation
import NATSClient

let benchPayload = ByteBuffer(string: "0123456789abcdef")  // 16 bytes

/// The echo responder both clients' requests go to: a Swift-client callback subscription that answers
/// each request with its own payload straight from the event loop (`publishNow`, no task hop).
func startEchoResponder(on connection: NATSConnection) throws {
    try connection.subscribe(to: "bench.echo") { message in
        guard let replyTo = message.replyTo else { return }
        try? connection.publishNow(message.payload, to: replyTo)
    }
}

/// Request/reply, publish throughput and KV CAS updates with the Swift client.
func measureSwift(url: String, arguments: BenchArguments) async throws -> BenchResult {
    var result = BenchResult(client: "Swift NATSClient")
    let connection = try await NATSConnection.connect(NATSOptions(servers: [url], name: "bench-swift"))
    try await connection.flush()
    (result.reqrepP50, result.reqrepP99) = try await measureRequests(connection, count: arguments.requests)
    (result.flushP50, result.flushP99) = try await measureFlush(connection, count: arguments.requests)
    result.publishRate = try await measurePublish(connection, count: arguments.publishes)
    try await measureKeyValue(connection, count: arguments.kvUpdates, into: &result)
    await connection.close()
    return result
}

private func measureRequests(_ connection: NATSConnection, count: Int) async throws -> (Double, Double) {
    for _ in 0..<min(500, count) { _ = try await connection.request(benchPayload, to: "bench.echo") }
    let clock = ContinuousClock()
    var samples: [Duration] = []
    samples.reserveCapacity(count)
    for _ in 0..<count {
        let start = clock.now
        _ = try await connection.request(benchPayload, to: "bench.echo")
        samples.append(clock.now - start)
    }
    return (percentile(samples, 50), percentile(samples, 99))
}

/// Diagnostic: a PING/PONG round trip through the server (`flush()`), no responder involved.
private func measureFlush(_ connection: NATSConnection, count: Int) async throws -> (Double, Double) {
    for _ in 0..<min(500, count) { try await connection.flush() }
    let clock = ContinuousClock()
    var samples: [Duration] = []
    samples.reserveCapacity(count)
    for _ in 0..<count {
        let start = clock.now
        try await connection.flush()
        samples.append(clock.now - start)
    }
    return (percentile(samples, 50), percentile(samples, 99))
}

private func measurePublish(_ connection: NATSConnection, count: Int) async throws -> Double {
    for _ in 0..<min(10_000, count) { try await connection.publish(benchPayload, to: "bench.pub") }
    try await connection.flush(timeout: .seconds(30))
    let clock = ContinuousClock()
    let start = clock.now
    for _ in 0..<count { try connection.publishNow(benchPayload, to: "bench.pub") }
    try await connection.flush(timeout: .seconds(60))
    let elapsed = clock.now - start
    return Double(count) / (elapsed.microseconds / 1e6)
}
