import JetStream
import NATSClient

/// Sequential KV CAS updates (update with the expected revision) on one key of a fresh bucket (history 1).
func measureKeyValue(_ connection: NATSConnection, count: Int, into result: inout BenchResult) async throws {
    let js = JetStreamContext(connection: connection)
    let kv = try await js.createKeyValue(KeyValueConfig(bucket: "bench_swift", history: 1))
    var revision = try await kv.put("lease", benchPayload)
    for _ in 0..<min(200, count) { revision = try await kv.update("lease", benchPayload, revision: revision) }
    let clock = ContinuousClock()
    var samples: [Duration] = []
    samples.reserveCapacity(count)
    for _ in 0..<count {
        let start = clock.now
        revision = try await kv.update("lease", benchPayload, revision: revision)
        samples.append(clock.now - start)
    }
    try await js.deleteKeyValue("bench_swift")
    result.kvP50 = percentile(samples, 50)
    result.kvP99 = percentile(samples, 99)
}
