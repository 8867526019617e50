import Foundation
import NATSClient
import Testing

@testable import JetStream

@Suite("Ack subjects")
struct AckSubjectTests {
    @Test func v1NineTokens() throws {
        let metadata = try AckMetadata(ackSubject: "$JS.ACK.KV_demo.PjT6519W.1.5.2.1795810989330059731.3")
        #expect(metadata.domain == nil)
        #expect(metadata.stream == "KV_demo")
        #expect(metadata.consumer == "PjT6519W")
        #expect(metadata.delivered == 1)
        #expect(metadata.streamSequence == 5)
        #expect(metadata.consumerSequence == 2)
        #expect(metadata.timestamp == 1_795_810_989_330_059_731)
        #expect(metadata.pending == 3)
        #expect(abs(metadata.time.timeIntervalSince1970 - 1_795_810_989.330059731) < 0.001)
    }

    @Test func v2ElevenTokens() throws {
        let metadata = try AckMetadata(ackSubject: "$JS.ACK.hub.ACCHASH.S.C.2.10.7.1000.0")
        #expect(metadata.domain == "hub")
        #expect(metadata.accountHash == "ACCHASH")
        #expect(metadata.stream == "S")
        #expect(metadata.consumer == "C")
        #expect(metadata.delivered == 2)
        #expect(metadata.streamSequence == 10)
        #expect(metadata.consumerSequence == 7)
        #expect(metadata.timestamp == 1000)
        #expect(metadata.pending == 0)
    }

    @Test func v2NoDomainAndExtraTokens() throws {
        let metadata = try AckMetadata(ackSubject: "$JS.ACK._.H.S.C.1.2.3.4.5.random.more")
        #expect(metadata.domain == nil)
        #expect(metadata.streamSequence == 2)
        #expect(metadata.consumerSequence == 3)
        #expect(metadata.pending == 5)
    }

    @Test(arguments: [
        "",
        "$JS.ACK",
        "$JS.NAK.S.C.1.2.3.4.5",
        "JS.ACK.S.C.1.2.3.4.5",
        "$JS.ACK.S.C.1.2.3.4",
        "$JS.ACK._.H.S.C.1.2.3.4",
        "$JS.ACK.S.C.1.x.3.4.5",
        "$JS.ACK.S.C.1.2.3.4.-5",
        "$JS.ACK.S.C.1.2.3.4.99999999999999999999999",
        "$JS.ACK..C.1.2.3.4.5",
        "$JS.ACK.S.C.1.2..4.5",
    ])
    func malformed(_ subject: String) {
        #expect(throws: JetStreamError.self) { try AckMetadata(ackSubject: subject) }
        do {
            _ = try AckMetadata(ackSubject: subject)
        } catch let error as JetStreamError {
            #expect(error.kind == .invalidReply)
        } catch {
            Issue.record("unexpected error \(error)")
        }
    }
}

@Suite("Keys, buckets, configuration")
struct ValidationTests {
    @Test func validKeys() {
        for key in ["a", "a.b", "A-Z_0=9/x", "leader", "election.lease", "=", "a/b/c"] {
            #expect(KeyValue.isValidKey(key), "\(key)")
        }
    }

    @Test func invalidKeys() {
        for key in ["", ".a", "a.", "a..b", "a b", "a*", "a.>", "ä", "a\nb", "*", ">", "a:b"] {
            #expect(!KeyValue.isValidKey(key), "\(key)")
        }
    }

    @Test func watchPatterns() {
        #expect(KeyValue.isValidPattern(">"))
        #expect(KeyValue.isValidPattern("a.*"))
        #expect(KeyValue.isValidPattern("a.*.c.>"))
        #expect(!KeyValue.isValidPattern("a.>.c"))
        #expect(!KeyValue.isValidPattern("a..*"))
        #expect(!KeyValue.isValidPattern("a*"))
    }

    @Test func bucketNames() {
        #expect(KeyValue.isValidBucketName("leader_election-1"))
        for name in ["", "a.b", "a b", "a/b", "a=b", "a*", ">"] {
            #expect(!KeyValue.isValidBucketName(name), "\(name)")
        }
    }

    @Test func streamConfigFollowsTheBucket() throws {
        let config = KeyValueConfig(bucket: "b", history: 5, ttl: .seconds(1), replicas: 3, storage: .memory)
        try config.validate()
        let stream = config.streamConfig
        #expect(stream.name == "KV_b")
        #expect(stream.subjects == ["$KV.b.>"])
        #expect(stream.maxMsgsPerSubject == 5)
        #expect(stream.maxAge == 1_000_000_000)
        #expect(stream.duplicateWindow == 1_000_000_000)
        #expect(stream.numReplicas == 3)
        #expect(stream.storage == .memory)
        #expect(stream.allowDirect == true)
        #expect(stream.discard == .new)
        #expect(stream.denyDelete == true)
        #expect(stream.allowRollupHdrs == true)
        #expect(KeyValueConfig(bucket: "b").streamConfig.duplicateWindow == 120_000_000_000)
        #expect(KeyValueConfig(bucket: "b").streamConfig.maxAge == 0)
    }

    @Test func invalidConfigurations() {
        let bad: [KeyValueConfig] = [
            KeyValueConfig(bucket: "a.b"),
            KeyValueConfig(bucket: "b", history: 0),
            KeyValueConfig(bucket: "b", history: 65),
            KeyValueConfig(bucket: "b", ttl: .milliseconds(50)),
            KeyValueConfig(bucket: "b", replicas: 0),
            KeyValueConfig(bucket: "b", ttl: .seconds(1), duplicateWindow: .seconds(2)),
        ]
        for config in bad {
            #expect(throws: KeyValueError.self, "\(config)") { try config.validate() }
        }
    }
}

@Suite("API replies")
struct ReplyDecodingTests {
    @Test func errorObjectBecomesTypedError() throws {
        let body = Data(#"{"type":"x","error":{"code":404,"err_code":10059,"description":"stream not found"}}"#.utf8)
        do {
            let _: StreamInfo = try JetStreamContext.decodeReply(body, subject: "$JS.API.STREAM.INFO.S")
            Issue.record("no error")
        } catch let error as JetStreamError {
            #expect(error.kind == .api)
            #expect(error.code == 404)
            #expect(error.errCode == 10059)
            #expect(error.description.contains("stream not found"))
        }
    }

    @Test func wrongLastSequenceCarriesTheActualSequence() throws {
        let body = Data(
            #"{"error":{"code":400,"err_code":10071,"description":"wrong last sequence: 3"},"stream":"KV_demo","seq":0}"#
                .utf8
        )
        do {
            let _: PubAck = try JetStreamContext.decodeReply(body, subject: "$KV.demo.k")
            Issue.record("no error")
        } catch let error as JetStreamError {
            #expect(error.isWrongLastSequence)
            #expect(error.actualLastSequence == 3)
        }
        let newer = JetStreamError(.api, code: 400, errCode: 10164, "wrong last sequence")
        #expect(newer.isWrongLastSequence)
        #expect(newer.actualLastSequence == nil)
    }

    @Test(arguments: [
        "", "garbage", "{", "[]", "{\"stream\":5}", "{\"seq\":-1,\"stream\":\"S\"}", "\u{0}\u{1}", "{\"error\":17}",
    ])
    func garbageIsAnInvalidReply(_ text: String) {
        do {
            let _: PubAck = try JetStreamContext.decodeReply(Data(text.utf8), subject: "s")
            Issue.record("decoded \(text)")
        } catch let error as JetStreamError {
            #expect(error.kind == .invalidReply)
        } catch {
            Issue.record("unexpected \(error)")
        }
    }

    @Test func pubAckWithOddSpacing() throws {
        let ack: PubAck = try JetStreamContext.decodeReply(
            Data(#"{"stream":"KV_demo", "seq":4,"duplicate": true}"#.utf8),
            subject: "s"
        )
        #expect(ack == ack)
        #expect(ack.stream == "KV_demo" && ack.seq == 4 && ack.duplicate)
    }

    @Test func msgGetReplyDecodes() throws {
        let headers = Data("NATS/1.0\r\nKV-Operation: DEL\r\n\r\n".utf8).base64EncodedString()
        let json =
            #"{"message":{"subject":"$KV.b.k","seq":5,"hdrs":"\#(headers)","time":"2026-11-27T20:23:09.330059731Z"}}"#
        let reply: MsgGetReply = try JetStreamContext.decodeReply(Data(json.utf8), subject: "s")
        let message = try JetStreamContext.storedMessage(reply.message, subject: "s")
        #expect(message.subject == "$KV.b.k")
        #expect(message.sequence == 5)
        #expect(message.headers?["KV-Operation"] == "DEL")
        #expect(message.payload.readableBytes == 0)
        #expect(message.time != nil)
    }

    @Test func msgGetWithBadBase64IsAnInvalidReply() throws {
        let stored = MsgGetReply.StoredMessage(subject: "s", seq: 1, hdrs: nil, data: "!!notbase64", time: nil)
        #expect(throws: JetStreamError.self) { try JetStreamContext.storedMessage(stored, subject: "s") }
        let badHeaders = MsgGetReply.StoredMessage(
            subject: "s",
            seq: 1,
            hdrs: Data("HTTP/1.1 200\r\n\r\n".utf8).base64EncodedString(),
            data: nil,
            time: nil
        )
        #expect(throws: JetStreamError.self) { try JetStreamContext.storedMessage(badHeaders, subject: "s") }
    }

    @Test func directGetReplies() throws {
        let miss = NATSMessage(
            subject: "_INBOX.x",
            sid: 1,
            replyTo: nil,
            headers: NATSHeaders(status: 404, description: "Message Not Found"),
            payload: ByteBuffer()
        )
        #expect(try JetStreamContext.decodeDirectReply(miss, subject: "s") == nil)
        let empty = NATSMessage(
            subject: "_INBOX.x",
            sid: 1,
            replyTo: nil,
            headers: NATSHeaders(status: 408, description: "Empty Request"),
            payload: ByteBuffer()
        )
        #expect(throws: JetStreamError.self) { try JetStreamContext.decodeDirectReply(empty, subject: "s") }
        let noHeaders = NATSMessage(
            subject: "_INBOX.x",
            sid: 1,
            replyTo: nil,
            headers: nil,
            payload: ByteBuffer(string: "{}")
        )
        #expect(throws: JetStreamError.self) { try JetStreamContext.decodeDirectReply(noHeaders, subject: "s") }
        let badSequence = NATSMessage(
            subject: "_INBOX.x",
            sid: 1,
            replyTo: nil,
            headers: NATSHeaders([("Nats-Subject", "$KV.b.k"), ("Nats-Sequence", "x")]),
            payload: ByteBuffer()
        )
        #expect(throws: JetStreamError.self) { try JetStreamContext.decodeDirectReply(badSequence, subject: "s") }
        let hit = NATSMessage(
            subject: "_INBOX.x",
            sid: 1,
            replyTo: nil,
            headers: NATSHeaders([
                ("Nats-Stream", "KV_b"), ("Nats-Subject", "$KV.b.k"), ("Nats-Sequence", "7"),
                ("Nats-Time-Stamp", "2026-11-27 20:23:09.330059731 +0000 UTC"),
            ]),
            payload: ByteBuffer(string: "v")
        )
        let message = try #require(try JetStreamContext.decodeDirectReply(hit, subject: "s"))
        #expect(message.sequence == 7 && message.subject == "$KV.b.k" && message.time != nil)
    }

    @Test func timestamps() throws {
        let a = try #require(parseTimestamp("2026-11-27T20:23:09.330059731Z"))
        let b = try #require(parseTimestamp("2026-11-27 20:23:09.330059731 +0000 UTC"))
        let c = try #require(parseTimestamp("2026-11-27T22:23:09.330059731+02:00"))
        #expect(abs(a.timeIntervalSince(b)) < 0.000_001)
        #expect(abs(a.timeIntervalSince(c)) < 0.000_001)
        #expect(abs(a.timeIntervalSince1970 - 1_795_810_989.330059731) < 0.001)
        #expect(parseTimestamp("1970-01-01T00:00:00Z")?.timeIntervalSince1970 == 0)
        #expect(parseTimestamp("2000-03-01T00:00:00Z")?.timeIntervalSince1970 == 951_868_800)
        #expect(parseTimestamp("2024-02-29T12:00:00.5Z")?.timeIntervalSince1970 == 1_709_208_000.5)
        #expect(parseTimestamp("2026-13-01T00:00:00Z") == nil)
        #expect(parseTimestamp("yesterday") == nil)
        #expect(parseTimestamp("2026-11-27Tnoon") == nil)
    }

    @Test func publishOptionsBecomeHeaders() {
        var headers = NATSHeaders()
        PublishOptions(
            expectedStream: "S",
            expectedLastSequence: 4,
            expectedLastSubjectSequence: 0,
            expectedLastMsgID: "m"
        ).apply(to: &headers, msgID: "id")
        #expect(headers["Nats-Msg-Id"] == "id")
        #expect(headers["Nats-Expected-Stream"] == "S")
        #expect(headers["Nats-Expected-Last-Sequence"] == "4")
        #expect(headers["Nats-Expected-Last-Subject-Sequence"] == "0")
        #expect(headers["Nats-Expected-Last-Msg-Id"] == "m")
    }

    @Test func selectorsEncodeAsJSON() {
        #expect(MessageSelector.lastBySubject("$KV.b.\"k").json == Data(#"{"last_by_subj":"$KV.b.\"k"}"#.utf8))
        #expect(MessageSelector.sequence(9).json == Data(#"{"seq":9}"#.utf8))
    }
}

@Suite("Watch up-to-date marker")
struct WatchStateTests {
    @Test func dueAfterTheInitialCountOrDeltaZero() {
        let byCount = WatchState(initialPending: 2, upToDateDue: false)
        #expect(!byCount.takeUpToDate())
        #expect(!byCount.received(delta: 5))
        #expect(byCount.received(delta: 5))
        #expect(byCount.takeUpToDate())
        #expect(!byCount.takeUpToDate())
        #expect(!byCount.received(delta: 0))
        #expect(!byCount.idle())

        let byDelta = WatchState(initialPending: 10, upToDateDue: false)
        #expect(byDelta.received(delta: 0))
        #expect(byDelta.takeUpToDate())
        #expect(!byDelta.takeUpToDate())
    }

    @Test func immediateAndIdleFallback() {
        let immediate = WatchState(initialPending: 0, upToDateDue: true)
        #expect(immediate.takeUpToDate())
        #expect(!immediate.takeUpToDate())
        #expect(!immediate.idle())
        // Initial values that expired before delivery: the first idle heartbeat ends the initial phase.
        let expired = WatchState(initialPending: 3, upToDateDue: false)
        #expect(expired.idle())
        #expect(!expired.idle())
        #expect(!expired.takeUpToDate())
    }
}
