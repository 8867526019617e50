import Foundation
import JetStream
import NATSClient
import NATSTestSupport
import Testing

@testable import NATSMicro

/// nats-py (an independent client, from PyPI) against the Swift code. The scripts live in `Tests/Interop`
/// and exit non-zero with a list of mismatches; their output is printed when they fail.
@Suite(.enabled(if: NATSServer.isAvailable, "nats-server is not installed"), .serialized)
struct InteropTests {
    @Test func natsPyDiscoversTheSwiftServiceThroughSRV() async throws {
        let server = try NATSServer()
        defer { server.stop() }
        let connection = try await connect(server, name: "swift-micro")
        let service = try await startCalc(on: connection)

        let (status, output) = try await runInteropScript("micro_discovery.py", [server.url, service.id])
        #expect(status == 0, "micro_discovery.py exited \(status):\n\(output)")
        if status == 0 { print(output.trimmingCharacters(in: .whitespacesAndNewlines)) }
        await service.stop()
        await connection.close()
    }

    @Test func natsPyAndSwiftShareAKeyValueBucket() async throws {
        let server = try NATSServer()
        defer { server.stop() }
        let connection = try await connect(server, name: "swift-kv")
        let js = JetStreamContext(connection: connection)
        let bucket = "interop"

        // nats-py writes; Swift reads.
        let written = try await runInteropScript("kv_interop.py", ["write", server.url, bucket, "direct"])
        try #require(written.status == 0, "kv_interop.py write exited \(written.status):\n\(written.output)")
        let py = try #require(
            try JSONSerialization.jsonObject(with: Data(lastLine(written.output).utf8)) as? [String: Any],
            "unexpected output: \(written.output)")
        let aRevisions = try #require(py["py.a"] as? [Int])
        let cRevisions = try #require(py["py.c"] as? [Int])
        let sharedRevision = try #require(py["shared"] as? Int)

        let kv = try await js.keyValue(bucket)
        let a = try #require(try await kv.get("py.a"))
        #expect(a.string == "alpha2" && a.revision == UInt64(aRevisions[1]))
        #expect(try await kv.get("py.a", revision: UInt64(aRevisions[0]))?.string == "alpha")
        let bRevision = try #require(py["py.b"] as? Int)
        #expect(try await kv.get("py.b")?.revision == UInt64(bRevision))
        #expect(try await kv.get("py.c") == nil, "deleted by nats-py, must read as absent")
        let cHistory = try await kv.history("py.c")
        #expect(cHistory.map(\.operation) == [.put, .delete])
        #expect(cHistory.map(\.revision) == cRevisions.map(UInt64.init))
        #expect(try await kv.get("shared")?.string == "from-python")

        // Swift writes (CAS on nats-py's revision included); nats-py reads.
        await #expect(throws: KeyValueError.self, "stale revision must be refused") {
            _ = try await kv.update("shared", "stale", revision: UInt64(aRevisions[0]))
        }
        let shared = try await kv.update("shared", "from-swift", revision: UInt64(sharedRevision))
        let x1 = try await kv.put("sw.x", "x1")
        let x2 = try await kv.update("sw.x", "x2", revision: x1)
        let y1 = try await kv.create("sw.y", "y")
        let y2 = try await kv.delete("sw.y")
        let expectations = "{\"shared\": \(shared), \"sw.x\": [\(x1), \(x2)], \"sw.y\": [\(y1), \(y2)]}"
        let read = try await runInteropScript("kv_interop.py", ["read", server.url, bucket, expectations])
        try #require(read.status == 0, "kv_interop.py read exited \(read.status):\n\(read.output)")

        // nats-py's CAS update on Swift's key is visible to Swift.
        let back = try #require(
            try JSONSerialization.jsonObject(with: Data(lastLine(read.output).utf8)) as? [String: Int])
        let x = try #require(try await kv.get("sw.x"))
        let x3 = try #require(back["sw.x"])
        #expect(x.string == "x3-from-python" && x.revision == UInt64(x3))
        await connection.close()
    }

    private func lastLine(_ text: String) -> String {
        text.split(separator: "\n").last.map(String.init) ?? ""
    }

    /// A bucket made with nats-py's defaults has no `allow_direct`; nats-server 2.9.10 leaves DIRECT.GET on such
    /// a stream unanswered, so the Swift KeyValue must notice and read through STREAM.MSG.GET (it once timed out).
    @Test func swiftReadsABucketNatsPyMadeWithItsDefaults() async throws {
        let server = try NATSServer()
        defer { server.stop() }
        let connection = try await connect(server, name: "swift-kv-nodirect")
        let js = JetStreamContext(connection: connection, requestTimeout: .seconds(1))
        let written = try await runInteropScript("kv_interop.py", ["write", server.url, "plain", "nodirect"])
        try #require(written.status == 0, "kv_interop.py write exited \(written.status):\n\(written.output)")
        let kv = try await js.keyValue("plain")
        // The consistent path (STREAM.MSG.GET) works on any bucket.
        #expect(try await kv.get("py.a", consistent: true)?.string == "alpha2")
        #expect(try await kv.get("py.a")?.string == "alpha2")
        #expect(try await kv.get("py.c") == nil)
        let revision = try #require(try await kv.get("shared")?.revision)
        _ = try await kv.update("shared", "from-swift", revision: revision)
        #expect(try await kv.get("shared")?.string == "from-swift")
        await connection.close()
    }
}
