import Foundation
import JetStream
import NATSClient
import NATSTestSupport
import Testing

@Suite("Key-value semantics", .enabled(if: NATSServer.isAvailable), .timeLimit(.minutes(2)))
struct KeyValueTests {
    @Test func putGetAndRevisionsGrowAcrossKeys() async throws {
        try await withJetStream { _, _, js in
            let kv = try await js.createKeyValue(KeyValueConfig(bucket: bucketName("rev"), history: 5))
            let r1 = try await kv.put("a", "1")
            let r2 = try await kv.put("b", "2")
            let r3 = try await kv.put("a", "3")
            #expect([r1, r2, r3] == [1, 2, 3])
            let a = try #require(try await kv.get("a"))
            #expect(a.string == "3" && a.revision == 3 && a.operation == .put && a.key == "a" && a.bucket == kv.bucket)
            #expect(abs(a.created.timeIntervalSinceNow) < 60)
            #expect(try await kv.get("b", consistent: true)?.string == "2")
            #expect(try await kv.get("missing") == nil)
            #expect(try await kv.get("missing", consistent: true) == nil)
            #expect(try await kv.get("a", revision: 1)?.string == "1")
            #expect(try await kv.get("a", revision: 2) == nil, "revision 2 belongs to b")
            #expect(try await kv.get("a", revision: 99) == nil)
            #expect(try await kv.streamInfo().state.lastSeq == 3)
            // Bytes and Data overloads store the same thing.
            _ = try await kv.put("bytes", [0, 255, 7])
            #expect(try await kv.get("bytes")?.value == [0, 255, 7])
        }
    }

    @Test func createFailsOnALiveKey() async throws {
        try await withJetStream { _, _, js in
            let kv = try await js.createKeyValue(KeyValueConfig(bucket: bucketName("create")))
            let first = try await kv.create("k", "v1")
            do {
                _ = try await kv.create("k", "v2")
                Issue.record("create succeeded over a live value")
            } catch let error as KeyValueError {
                #expect(error.code == .keyExists)
                #expect(error.key == "k")
                #expect(error.actualRevision == first)
            }
            #expect(try await kv.get("k")?.string == "v1")
        }
    }

    @Test func createSucceedsOverDeleteAndPurgeMarkers() async throws {
        try await withJetStream { _, _, js in
            let kv = try await js.createKeyValue(KeyValueConfig(bucket: bucketName("tomb"), history: 10))
            _ = try await kv.put("k", "v1")
            let deleted = try await kv.delete("k")
            #expect(try await kv.get("k") == nil)
            #expect(try await kv.get("k", consistent: true) == nil)
            let created = try await kv.create("k", "v2")
            #expect(created == deleted + 1)
            #expect(try await kv.get("k")?.string == "v2")
            let purged = try await kv.purge("k")
            #expect(try await kv.get("k") == nil)
            let again = try await kv.create("k", "v3")
            #expect(again == purged + 1)
            #expect(try await kv.get("k")?.string == "v3")
        }
    }

    @Test func updateIsCompareAndSet() async throws {
        try await withJetStream { _, _, js in
            let kv = try await js.createKeyValue(KeyValueConfig(bucket: bucketName("cas")))
            let r1 = try await kv.put("lease", "a")
            _ = try await kv.put("other", "x")
            let r2 = try await kv.update("lease", "b", revision: r1)
            #expect(r2 > r1)
            do {
                _ = try await kv.update("lease", "c", revision: r1)
                Issue.record("stale update succeeded")
            } catch let error as KeyValueError {
                #expect(error.code == .wrongLastRevision)
                #expect(error.actualRevision == r2)
                #expect(error.key == "lease")
            }
            #expect(try await kv.get("lease")?.string == "b")
            do {
                _ = try await kv.update("never", "c", revision: 5)
                Issue.record("update of a missing key succeeded")
            } catch let error as KeyValueError {
                #expect(error.code == .wrongLastRevision)
            }
        }
    }

    @Test func deleteAndPurgeWithAndWithoutRevision() async throws {
        try await withJetStream { _, _, js in
            let kv = try await js.createKeyValue(KeyValueConfig(bucket: bucketName("del"), history: 10))
            let r1 = try await kv.put("k", "1")
            let r2 = try await kv.put("k", "2")
            await #expect(throws: KeyValueError.self) { try await kv.delete("k", revision: r1) }
            #expect(try await kv.get("k")?.string == "2")
            let marker = try await kv.delete("k", revision: r2)
            #expect(try await kv.get("k") == nil)
            #expect(try await kv.history("k").map(\.operation) == [.put, .put, .delete])
            #expect(try await kv.history("k").last?.revision == marker)
            // Purge with a stale revision fails; with the right one it removes the history.
            do {
                try await kv.purge("k", revision: r2)
                Issue.record("stale purge succeeded")
            } catch let error as KeyValueError {
                #expect(error.code == .wrongLastRevision && error.actualRevision == marker)
            }
            let purge = try await kv.purge("k", revision: marker)
            let history = try await kv.history("k")
            #expect(history.map(\.revision) == [purge])
            #expect(history.map(\.operation) == [.purge])
            // Unconditional delete of a key that never existed writes a marker too.
            _ = try await kv.delete("ghost")
            #expect(try await kv.get("ghost") == nil)
        }
    }

    @Test func keysListsLiveKeysOnly() async throws {
        try await withJetStream { _, _, js in
            let kv = try await js.createKeyValue(KeyValueConfig(bucket: bucketName("keys")))
            #expect(try await kv.keys().isEmpty)
            _ = try await kv.put("a", "1")
            _ = try await kv.put("b.c", "2")
            _ = try await kv.put("d", "3")
            _ = try await kv.put("a", "4")
            try await kv.delete("d")
            _ = try await kv.put("e", "5")
            try await kv.purge("e")
            #expect(Set(try await kv.keys()) == ["a", "b.c"])
        }
    }

    @Test func ttlExpiry() async throws {
        try await withJetStream { _, _, js in
            let kv = try await js.createKeyValue(KeyValueConfig(bucket: bucketName("ttl"), ttl: .seconds(1)))
            #expect(try await kv.streamInfo().config.maxAge == 1_000_000_000)
            #expect(try await kv.streamInfo().config.duplicateWindow == 1_000_000_000)
            let r1 = try await kv.create("lease", "holder-1")
            #expect(try await kv.get("lease")?.string == "holder-1")
            try await eventually("the lease to expire", timeout: .seconds(5)) { try await kv.get("lease") == nil }
            #expect(try await kv.get("lease", consistent: true) == nil)
            // The subject is empty after expiry: create succeeds at once (expected sequence 0).
            let r2 = try await kv.create("lease", "holder-2")
            #expect(r2 == r1 + 1)
            #expect(try await kv.get("lease")?.string == "holder-2")
        }
    }

    @Test func invalidKeysAndBucketsAreRejectedWithTheirNames() async throws {
        try await withJetStream { _, _, js in
            let kv = try await js.createKeyValue(KeyValueConfig(bucket: bucketName("names")))
            for key in ["", ".a", "a.", "a..b", "a b", "a*", ">"] {
                do {
                    _ = try await kv.put(key, "x")
                    Issue.record("put accepted \(key)")
                } catch let error as KeyValueError {
                    #expect(error.code == .invalidKey)
                    #expect(error.key == key)
                    #expect(error.description.contains("\"\(key)\""))
                }
            }
            await #expect(throws: KeyValueError.self) { try await kv.watch(keys: "a..b") }
            await #expect(throws: KeyValueError.self) { try await js.createKeyValue(KeyValueConfig(bucket: "a.b")) }
            do {
                _ = try await js.keyValue("no_such_bucket")
                Issue.record("bound a missing bucket")
            } catch let error as KeyValueError {
                #expect(error.code == .bucketNotFound)
            }
        }
    }

    @Test func createOrBindIsIdempotentAndUpdatesChangedConfig() async throws {
        try await withJetStream { _, _, js in
            let name = bucketName("bind")
            let kv = try await js.createKeyValue(KeyValueConfig(bucket: name, history: 2))
            _ = try await kv.put("k", "v")
            let again = try await js.createKeyValue(KeyValueConfig(bucket: name, history: 2))
            #expect(try await again.get("k")?.string == "v")
            let changed = try await js.createKeyValue(KeyValueConfig(bucket: name, history: 4))
            #expect(try await changed.streamInfo().config.maxMsgsPerSubject == 4)
            let bound = try await js.keyValue(name)
            #expect(try await bound.get("k")?.string == "v")
            #expect(try await bound.streamInfo().config.allowDirect == true)
            try await js.deleteKeyValue(name)
            await #expect(throws: KeyValueError.self) { try await js.keyValue(name) }
        }
    }

    /// A bucket made without `allow_direct` (nats-py's default): reads fall back to the leader
    /// instead of timing out on DIRECT.GET.
    @Test func bucketWithoutDirectGetIsReadThroughTheLeader() async throws {
        try await withJetStream { _, _, js in
            var stream = KeyValueConfig(bucket: "nodirect").streamConfig
            stream.allowDirect = false
            _ = try await js.createStream(stream)
            var quick = js
            quick.requestTimeout = .seconds(1)
            let kv = try await quick.keyValue("nodirect")
            #expect(!kv.allowsDirect)
            let revision = try await kv.put("k", "v")
            #expect(try await kv.get("k")?.revision == revision)
            #expect(try await kv.get("k", revision: revision)?.string == "v")
            #expect(try await js.createKeyValue(KeyValueConfig(bucket: "direct")).allowsDirect)
        }
    }

    /// A write attempted while the server is down fails within the retry budget and never lands
    /// later from the client's reconnect buffer.
    @Test func writesWhileDisconnectedFailAndNeverLandLater() async throws {
        try await withJetStream { server, connection, js in
            let kv = try await js.createKeyValue(KeyValueConfig(bucket: bucketName("zombie")))
            let revision = try await kv.put("lease", "mine")
            server.kill()
            try await eventually("the client to notice") { !connection.isConnected }
            var quick = js
            quick.retryBudget = .milliseconds(300)
            let zombie = kv.using(quick)
            do {
                _ = try await zombie.put("lease", "zombie")
                Issue.record("a write succeeded with the server down")
            } catch let error as JetStreamError {
                #expect(error.kind == .connection)
            }
            try server.start()
            try await eventually("the client to reconnect") { connection.isConnected }
            try await connection.flush()
            let after = try await kv.put("other", "x")
            #expect(after == revision + 1, "nothing was stored between the two writes")
            #expect(try await kv.get("lease")?.string == "mine")
        }
    }
}
