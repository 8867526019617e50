import Foundation
import JetStream
import NATSClient
import NATSTestSupport
import Testing

@Suite("JetStream API", .enabled(if: NATSServer.isAvailable), .timeLimit(.minutes(2)))
struct JetStreamAPITests {
    @Test func streamLifecycleAndTypedErrors() async throws {
        try await withJetStream { _, _, js in
            let account = try await js.accountInfo()
            #expect(account.streams == 0)
            var config = StreamConfig(name: "ORDERS", subjects: ["orders.>"])
            config.storage = .memory
            let created = try await js.createStream(config)
            #expect(created.config.name == "ORDERS")
            #expect(created.state.lastSeq == 0)
            #expect(try await js.createStream(config).config.name == "ORDERS", "same config: success")
            config.maxMsgsPerSubject = 3
            do {
                _ = try await js.createStream(config)
                Issue.record("create with another config succeeded")
            } catch let error as JetStreamError {
                #expect(error.kind == .api && error.errCode == 10058)
            }
            #expect(try await js.updateStream(config).config.maxMsgsPerSubject == 3)
            _ = try await js.publish("x", to: "orders.1")
            #expect(try await js.streamInfo("ORDERS").state.lastSeq == 1)
            #expect(try await js.accountInfo().streams == 1)
            try await js.deleteStream("ORDERS")
            do {
                _ = try await js.streamInfo("ORDERS")
                Issue.record("info of a deleted stream succeeded")
            } catch let error as JetStreamError {
                #expect(error.code == 404 && error.errCode == 10059)
            }
            await #expect(throws: JetStreamError.self) { try await js.streamInfo("bad.name") }
            var invalid = StreamConfig(name: "BAD", subjects: ["bad"])
            invalid.maxAge = 50_000_000
            do {
                _ = try await js.createStream(invalid)
                Issue.record("max age 50 ms accepted")
            } catch let error as JetStreamError {
                #expect(error.errCode == 10052)
            }
        }
    }

    @Test func publishExpectationsAndDeduplication() async throws {
        try await withJetStream { _, _, js in
            var config = StreamConfig(name: "EXP", subjects: ["exp.>"])
            config.storage = .memory
            _ = try await js.createStream(config)
            let first = try await js.publish("a", to: "exp.a", options: PublishOptions(expectedLastSubjectSequence: 0))
            #expect(first.stream == "EXP" && first.seq == 1 && !first.duplicate)
            do {
                _ = try await js.publish("a2", to: "exp.a", options: PublishOptions(expectedLastSubjectSequence: 0))
                Issue.record("expected subject sequence 0 passed on a used subject")
            } catch let error as JetStreamError {
                #expect(error.isWrongLastSequence && error.actualLastSequence == 1)
            }
            _ = try await js.publish("b", to: "exp.b", options: PublishOptions(expectedLastSequence: 1))
            await #expect(throws: JetStreamError.self) {
                try await js.publish("c", to: "exp.c", options: PublishOptions(expectedLastSequence: 1))
            }
            let once = try await js.publish("d", to: "exp.d", options: PublishOptions(msgID: "order-17"))
            let twice = try await js.publish("d", to: "exp.d", options: PublishOptions(msgID: "order-17"))
            #expect(!once.duplicate && twice.duplicate && twice.seq == once.seq)
            // The de-duplication check comes before the expectations: a retried CAS write that had
            // already landed reports its original sequence, not "wrong last sequence".
            let cas = PublishOptions(msgID: "cas-1", expectedLastSubjectSequence: 0)
            let landed = try await js.publish("v", to: "exp.cas", options: cas)
            let retried = try await js.publish("v", to: "exp.cas", options: cas)
            #expect(retried.duplicate && retried.seq == landed.seq)
            do {
                _ = try await js.publish("e", to: "exp.e", options: PublishOptions(expectedStream: "OTHER"))
                Issue.record("expected stream mismatch accepted")
            } catch let error as JetStreamError {
                #expect(error.errCode == 10060)
            }
            do {
                _ = try await js.publish("f", to: "exp.f", options: PublishOptions(expectedLastMsgID: "nope"))
                Issue.record("expected last msg id mismatch accepted")
            } catch let error as JetStreamError {
                #expect(error.errCode == 10070)
            }
            #expect(try await js.streamInfo("EXP").state.lastSeq == 4)
            // No stream captures the subject: no responders, reported after a short retry budget.
            var quick = js
            quick.retryBudget = .milliseconds(300)
            do {
                _ = try await quick.publish("x", to: "nostream.x")
                Issue.record("publish without a stream succeeded")
            } catch let error as JetStreamError {
                #expect(error.kind == .noResponders)
            }
        }
    }

    @Test func directGetAndMessageGet() async throws {
        try await withJetStream { _, _, js in
            var config = StreamConfig(name: "GET", subjects: ["get.>"])
            config.allowDirect = true
            _ = try await js.createStream(config)
            var headers = NATSHeaders()
            headers["X-Test"] = "yes"
            _ = try await js.publish("one", to: "get.a", headers: headers)
            _ = try await js.publish("two", to: "get.a")
            _ = try await js.publish("three", to: "get.b")
            for direct in [true, false] {
                func read(_ selector: MessageSelector) async throws -> StreamMessage? {
                    direct
                        ? try await js.directGet(stream: "GET", selector)
                        : try await js.getMessage(stream: "GET", selector)
                }
                let last = try #require(try await read(.lastBySubject("get.a")))
                #expect(last.sequence == 2 && String(buffer: last.payload) == "two" && last.subject == "get.a")
                #expect(last.time != nil)
                let bySequence = try #require(try await read(.sequence(1)))
                #expect(bySequence.headers?["X-Test"] == "yes" && String(buffer: bySequence.payload) == "one")
                #expect(try await read(.sequence(99)) == nil)
                #expect(try await read(.lastBySubject("get.none")) == nil)
            }
            // DIRECT.GET on a stream without allow_direct gets no reply: an error, never "absent".
            var plain = StreamConfig(name: "PLAIN", subjects: ["plain.>"])
            plain.allowDirect = false
            _ = try await js.createStream(plain)
            var quick = js
            quick.requestTimeout = .milliseconds(300)
            do {
                _ = try await quick.directGet(stream: "PLAIN", .sequence(1))
                Issue.record("direct get without allow_direct answered")
            } catch let error as JetStreamError {
                #expect(error.kind == .timeout)
            }
            do {
                _ = try await js.getMessage(stream: "MISSING", .sequence(1))
                Issue.record("msg get on a missing stream answered")
            } catch let error as JetStreamError {
                #expect(error.errCode == 10059)
            }
        }
    }

    @Test func domainAndCustomPrefixes() async throws {
        try await withJetStream { _, connection, js in
            #expect(js.apiPrefix == "$JS.API")
            #expect(JetStreamContext(connection: connection, domain: "hub").apiPrefix == "$JS.hub.API")
            #expect(JetStreamContext(connection: connection, apiPrefix: "$JS.x.API.").apiPrefix == "$JS.x.API")
            // A domain the server does not have: nobody answers.
            var other = JetStreamContext(connection: connection, domain: "nowhere")
            other.requestTimeout = .milliseconds(500)
            await #expect(throws: JetStreamError.self) { try await other.accountInfo() }
        }
    }

    /// A fake API that answers garbage: every call fails with a typed error, nothing crashes.
    @Test func garbageRepliesBecomeTypedErrors() async throws {
        try await withJetStream { _, connection, _ in
            let replies = [
                "", "not json", "{\"error\":{\"code\":\"x\"}}", "{\"config\":1}", "[1,2]", "{\"seq\":\"1\"}",
            ]
            for reply in replies {
                let prefix = "$FAKE.\(UUID().uuidString.prefix(8)).API"
                let subscription = try connection.subscribe(to: "\(prefix).>")
                let responder = Task {
                    for await message in subscription {
                        guard let to = message.replyTo else { continue }
                        try? await connection.publish(reply, to: to)
                    }
                }
                let fake = JetStreamContext(connection: connection, apiPrefix: prefix, requestTimeout: .seconds(2))
                for call in 0..<3 {
                    do {
                        switch call {
                        case 0: _ = try await fake.accountInfo()
                        case 1: _ = try await fake.streamInfo("S")
                        default: _ = try await fake.getMessage(stream: "S", .sequence(1))
                        }
                        Issue.record("garbage \"\(reply)\" decoded (call \(call))")
                    } catch let error as JetStreamError {
                        #expect(error.kind == .invalidReply || error.kind == .api, "\(error)")
                    }
                }
                try subscription.unsubscribe()
                responder.cancel()
            }
        }
    }
}
