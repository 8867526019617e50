import Foundation
import JetStream
import NATSClient
import NATSTestSupport
import Testing

@Suite("Key-value watch", .enabled(if: NATSServer.isAvailable), .timeLimit(.minutes(2)))
struct WatchTests {
    @Test func initialValuesThenUpToDateThenLiveUpdates() async throws {
        try await withJetStream { _, _, js in
            let kv = try await js.createKeyValue(KeyValueConfig(bucket: bucketName("watch"), history: 5))
            _ = try await kv.put("a", "1")
            _ = try await kv.put("b", "2")
            _ = try await kv.put("a", "3")
            let recorder = WatchRecorder(try await kv.watch())
            try await recorder.waitForEvents(3)
            #expect(recorder.entries.map(\.key) == ["b", "a"])
            #expect(recorder.entries.map(\.string) == ["2", "3"])
            #expect(recorder.all.last == .upToDate)
            let r4 = try await kv.put("c", "4")
            try await kv.delete("b")
            try await kv.purge("a")
            try await recorder.waitForEvents(6)
            let live = recorder.entries.suffix(3)
            #expect(live.map(\.key) == ["c", "b", "a"])
            #expect(live.map(\.operation) == [.put, .delete, .purge])
            #expect(live.map(\.revision) == [r4, r4 + 1, r4 + 2])
            #expect(recorder.upToDateCount == 1)
            await recorder.stop()
        }
    }

    @Test func emptyBucketSignalsUpToDateFirst() async throws {
        try await withJetStream { _, _, js in
            let kv = try await js.createKeyValue(KeyValueConfig(bucket: bucketName("empty")))
            let recorder = WatchRecorder(try await kv.watch())
            try await recorder.waitForEvents(1)
            #expect(recorder.all == [.upToDate])
            _ = try await kv.put("x", "1")
            try await recorder.waitForEvents(2)
            #expect(recorder.entries.map(\.string) == ["1"])
            await recorder.stop()
        }
    }

    @Test func oneKeyAndAWildcard() async throws {
        try await withJetStream { _, _, js in
            let kv = try await js.createKeyValue(KeyValueConfig(bucket: bucketName("filter")))
            _ = try await kv.put("nodes.n1", "up")
            _ = try await kv.put("leader", "n1")
            let single = WatchRecorder(try await kv.watch(keys: "leader"))
            let nodes = WatchRecorder(try await kv.watch(keys: "nodes.*"))
            try await single.waitForEvents(2)
            try await nodes.waitForEvents(2)
            _ = try await kv.put("nodes.n2", "up")
            _ = try await kv.put("leader", "n2")
            _ = try await kv.put("unrelated", "x")
            try await kv.delete("nodes.n1")
            try await single.waitForEvents(3)
            try await nodes.waitForEvents(4)
            #expect(single.entries.map(\.string) == ["n1", "n2"])
            #expect(nodes.entries.map(\.key) == ["nodes.n1", "nodes.n2", "nodes.n1"])
            #expect(nodes.entries.last?.operation == .delete)
            #expect(!single.entries.contains { $0.key != "leader" })
            await single.stop()
            await nodes.stop()
        }
    }

    @Test func optionsHistoryUpdatesOnlyIgnoreDeletesMetaOnly() async throws {
        try await withJetStream { _, _, js in
            let kv = try await js.createKeyValue(KeyValueConfig(bucket: bucketName("opts"), history: 5))
            _ = try await kv.put("k", "1")
            _ = try await kv.put("k", "2")
            try await kv.delete("j")
            let history = WatchRecorder(try await kv.watch(options: KeyValueWatchOptions(includeHistory: true)))
            let updates = WatchRecorder(try await kv.watch(options: KeyValueWatchOptions(updatesOnly: true)))
            let noDeletes = WatchRecorder(try await kv.watch(options: KeyValueWatchOptions(ignoreDeletes: true)))
            let meta = WatchRecorder(try await kv.watch(options: KeyValueWatchOptions(metaOnly: true)))
            try await history.waitForEvents(4)
            #expect(history.entries.map(\.string) == ["1", "2", ""])
            try await updates.waitForEvents(1)
            try await noDeletes.waitForEvents(2)
            try await meta.waitForEvents(3)
            _ = try await kv.put("k", "3")
            try await kv.delete("k")
            try await updates.waitForEvents(3)
            #expect(updates.all.first == .upToDate)
            #expect(updates.entries.map(\.operation) == [.put, .delete])
            try await noDeletes.waitForEvents(3)
            try await meta.waitForEvents(5)
            #expect(noDeletes.all.first == .entry(noDeletes.entries[0]))
            #expect(noDeletes.entries.allSatisfy { $0.operation == .put })
            #expect(noDeletes.entries.map(\.string) == ["2", "3"])
            #expect(meta.entries.allSatisfy { $0.value.isEmpty })
            #expect(meta.entries.map(\.revision).contains(3))
            for recorder in [history, updates, noDeletes, meta] {
                #expect(recorder.upToDateCount == 1)
                await recorder.stop()
            }
        }
    }

    /// The server is killed and restarted on the same port and store while a watch is live. Updates
    /// made after the restart (one of them while the watcher's client is still disconnected) arrive
    /// exactly once; nothing is lost or repeated.
    /// With 30 s heartbeats only the client's `.reconnected` event can trigger the recreation in time;
    /// with 1 s heartbeats either path may.
    @Test(arguments: [1, 30])
    func watchSurvivesServerRestart(heartbeatSeconds: Int) async throws {
        let log = LogRecorder()
        try await withJetStream(reconnectWait: .seconds(5), log: log) { server, connection, js in
            let kv = try await js.createKeyValue(KeyValueConfig(bucket: bucketName("restart"), history: 10))
            _ = try await kv.put("k", "before")
            let recorder = WatchRecorder(
                try await kv.watch(options: KeyValueWatchOptions(idleHeartbeat: .seconds(heartbeatSeconds)))
            )
            try await recorder.waitForEvents(2)
            _ = try await kv.put("k", "live")
            try await recorder.waitForRevision(2)

            server.kill()
            try await eventually("the client to notice") { !connection.isConnected }
            // After one failed attempt the client pauses for its 5 s reconnect wait: restart and write now.
            try await eventually("a failed reconnect attempt") { log.count("reconnect attempt failed") > 0 }
            try server.start()
            // A second client writes while the watcher's client is still waiting to reconnect.
            let writer = try await connect([server.url])
            let writerKV = try await JetStreamContext(connection: writer).keyValue(kv.bucket)
            let whileDown = try await writerKV.put("k", "while-disconnected")
            let watcherWasDisconnected = !connection.isConnected
            try await eventually("the watcher's client to reconnect") { connection.isConnected }
            var expected: [UInt64] = [1, 2, whileDown]
            for index in 0..<5 {
                expected.append(try await kv.put("k", "after-\(index)"))
            }
            try await recorder.waitForRevision(expected.last ?? 0, timeout: .seconds(20))
            // Let anything extra (a repeat) arrive before judging.
            _ = try await kv.put("other", "fence")
            try await recorder.waitForRevision((expected.last ?? 0) + 1)
            let revisions = recorder.entries.map(\.revision)
            #expect(revisions == expected + [(expected.last ?? 0) + 1])
            #expect(recorder.upToDateCount == 1)
            #expect(await recorder.watcher.recreations >= 1)
            #expect(watcherWasDisconnected, "the write was meant to happen while the watcher was disconnected")
            await recorder.stop()
            await writer.close()
        }
    }

    @Test func stopEndsTheWatchAndClosingTheConnectionThrows() async throws {
        let server = try NATSServer()
        defer { server.remove() }
        let connection = try await connect([server.url])
        let kv = try await JetStreamContext(connection: connection).createKeyValue(
            KeyValueConfig(bucket: bucketName("end"))
        )
        let stopped = try await kv.watch()
        var iterator = stopped.makeAsyncIterator()
        #expect(try await iterator.next() == .upToDate)
        await stopped.stop()
        #expect(try await iterator.next() == nil)

        let closing = try await kv.watch()
        var other = closing.makeAsyncIterator()
        #expect(try await other.next() == .upToDate)
        await connection.close()
        do {
            let event = try await other.next()
            Issue.record("watch went on after close: \(String(describing: event))")
        } catch let error as JetStreamError {
            #expect(error.kind == .connectionClosed)
        }
    }
}
