import Foundation
import NATSClient
import NATSTestSupport
import Testing

@testable import JetStream

@Suite("Ordered consumer", .enabled(if: NATSServer.isAvailable), .timeLimit(.minutes(2)))
struct OrderedConsumerTests {
    private func makeStream(_ js: JetStreamContext, _ name: String = "OC") async throws {
        var config = StreamConfig(name: name, subjects: ["\(name.lowercased()).>"])
        config.storage = .memory
        _ = try await js.createStream(config)
    }

    /// Reads `count` messages from a consumer.
    private func take(_ count: Int, from consumer: OrderedConsumer) async throws -> [JetStreamMessage] {
        var messages: [JetStreamMessage] = []
        guard count > 0 else { return messages }
        for try await message in consumer {
            messages.append(message)
            if messages.count == count { break }
        }
        return messages
    }

    @Test func deliverPolicies() async throws {
        try await withJetStream { _, _, js in
            try await makeStream(js)
            for (index, subject) in ["oc.a", "oc.b", "oc.a", "oc.c"].enumerated() {
                _ = try await js.publish("m\(index + 1)", to: subject)
            }
            let all = try await js.orderedConsumer(stream: "OC")
            #expect(all.initialPending == 4)
            let allMessages = try await take(4, from: all)
            #expect(allMessages.map(\.metadata.streamSequence) == [1, 2, 3, 4])
            #expect(allMessages.map(\.metadata.consumerSequence) == [1, 2, 3, 4])
            #expect(allMessages.map(\.metadata.pending) == [3, 2, 1, 0])
            #expect(allMessages.map { String(buffer: $0.payload) } == ["m1", "m2", "m3", "m4"])
            await all.stop()

            let perSubject = try await js.orderedConsumer(
                stream: "OC",
                config: OrderedConsumerConfig(filterSubject: "oc.>", deliverPolicy: .lastPerSubject)
            )
            #expect(try await take(3, from: perSubject).map(\.metadata.streamSequence) == [2, 3, 4])
            await perSubject.stop()

            let fromThree = try await js.orderedConsumer(
                stream: "OC",
                config: OrderedConsumerConfig(deliverPolicy: .startSequence(3))
            )
            #expect(try await take(2, from: fromThree).map(\.metadata.streamSequence) == [3, 4])
            await fromThree.stop()

            let filtered = try await js.orderedConsumer(
                stream: "OC",
                config: OrderedConsumerConfig(filterSubject: "oc.a", headersOnly: true)
            )
            let headersOnly = try await take(2, from: filtered)
            #expect(headersOnly.map(\.metadata.streamSequence) == [1, 3])
            #expect(headersOnly.allSatisfy { $0.payload.readableBytes == 0 && $0.headers?["Nats-Msg-Size"] == "2" })
            await filtered.stop()

            let new = try await js.orderedConsumer(stream: "OC", config: OrderedConsumerConfig(deliverPolicy: .new))
            #expect(new.initialPending == 0)
            _ = try await js.publish("m5", to: "oc.d")
            #expect(try await take(1, from: new).map(\.metadata.streamSequence) == [5])
            await new.stop()
        }
    }

    /// 300 messages of 60 KB exceed the consumer's flow-control window many times over; without
    /// flow-control replies delivery stalls until a heartbeat (30 s here) reports the stall.
    @Test func flowControlKeepsLargeBacklogsMoving() async throws {
        try await withJetStream { _, _, js in
            var config = StreamConfig(name: "BIG", subjects: ["big"])
            config.storage = .memory
            _ = try await js.createStream(config)
            let body = [UInt8](repeating: 42, count: 60_000)
            for _ in 0..<300 { _ = try await js.publish(body, to: "big") }
            let started = ContinuousClock.now
            let consumer = try await js.orderedConsumer(
                stream: "BIG",
                config: OrderedConsumerConfig(idleHeartbeat: .seconds(30))
            )
            let messages = try await take(300, from: consumer)
            #expect(messages.map(\.metadata.streamSequence) == Array(1...300))
            #expect(ContinuousClock.now - started < .seconds(20))
            #expect(await consumer.recreations == 0)
            await consumer.stop()
        }
    }

    /// The server-side consumer disappears: heartbeats stop, and the client recreates the consumer
    /// from the next stream sequence without losing or repeating a message.
    @Test func missingHeartbeatsRecreateTheConsumer() async throws {
        try await withJetStream { _, connection, js in
            try await makeStream(js, "HB")
            _ = try await js.publish("1", to: "hb.x")
            _ = try await js.publish("2", to: "hb.x")
            let consumer = try await js.orderedConsumer(
                stream: "HB",
                config: OrderedConsumerConfig(idleHeartbeat: .milliseconds(300))
            )
            var iterator = consumer.makeAsyncIterator()
            #expect(try await iterator.next()?.metadata.streamSequence == 1)
            #expect(try await iterator.next()?.metadata.streamSequence == 2)
            // Delete every consumer of the stream behind the client's back.
            let names = try await connection.request("", to: "$JS.API.CONSUMER.NAMES.HB")
            let list = try JSONDecoder().decode(ConsumerNames.self, from: names.data)
            #expect(list.consumers.count == 1)
            for name in list.consumers {
                _ = try await connection.request("", to: "$JS.API.CONSUMER.DELETE.HB.\(name)")
            }
            for value in 3...5 { _ = try await js.publish("\(value)", to: "hb.x") }
            var rest: [UInt64] = []
            while rest.count < 3, let message = try await iterator.next() {
                rest.append(message.metadata.streamSequence)
            }
            #expect(rest == [3, 4, 5])
            #expect(await consumer.recreations >= 1)
            #expect(await consumer.lastStreamSequence == 5)
            await consumer.stop()
        }
    }

    /// Forged deliveries on the consumer's inbox: a skipped consumer sequence and a heartbeat that
    /// contradicts what arrived. Each makes the client recreate from the last stream sequence + 1;
    /// the forged message is never handed out and no real message is lost or repeated.
    @Test(arguments: ["gap", "heartbeat"])
    func gapsAndContradictingHeartbeatsRecreate(_ fault: String) async throws {
        try await withJetStream { _, connection, js in
            try await makeStream(js, "GAP")
            for value in 1...2 { _ = try await js.publish("\(value)", to: "gap.x") }
            let consumer = try await js.orderedConsumer(
                stream: "GAP",
                config: OrderedConsumerConfig(idleHeartbeat: .seconds(30))
            )
            var iterator = consumer.makeAsyncIterator()
            #expect(try await iterator.next()?.metadata.streamSequence == 1)
            #expect(try await iterator.next()?.metadata.streamSequence == 2)
            let inbox = try await deliverSubject(connection, stream: "GAP")
            if fault == "gap" {
                // The server refuses `$JS.ACK` replies from clients, so this one is injected.
                await consumer.engine.inject(
                    NATSMessage(
                        subject: "gap.x",
                        sid: 0,
                        replyTo: "$JS.ACK.GAP.forged.1.9.7.1000.0",
                        headers: nil,
                        payload: ByteBuffer(string: "forged")
                    )
                )
            } else {
                let headers = NATSHeaders(
                    status: 100,
                    description: "Idle Heartbeat",
                    [("Nats-Last-Consumer", "7"), ("Nats-Last-Stream", "9")]
                )
                try await connection.publish(ByteBuffer(), to: inbox, headers: headers)
            }
            try await connection.flush()
            for value in 3...4 { _ = try await js.publish("\(value)", to: "gap.x") }
            var rest: [JetStreamMessage] = []
            while rest.count < 2, let message = try await iterator.next() { rest.append(message) }
            #expect(rest.map(\.metadata.streamSequence) == [3, 4])
            #expect(rest.map { String(buffer: $0.payload) } == ["3", "4"])
            #expect(await consumer.recreations == 1)
            await consumer.stop()
        }
    }

    /// A flow-control request is answered once the messages before it were handed out, and a
    /// heartbeat reporting a stall is answered on the subject it names; neither is delivered.
    @Test func flowControlAndStallNoticesAreAnswered() async throws {
        try await withJetStream { _, connection, js in
            try await makeStream(js, "FC")
            _ = try await js.publish("1", to: "fc.x")
            let consumer = try await js.orderedConsumer(
                stream: "FC",
                config: OrderedConsumerConfig(idleHeartbeat: .seconds(30))
            )
            var iterator = consumer.makeAsyncIterator()
            #expect(try await iterator.next()?.metadata.streamSequence == 1)
            let replies = try connection.subscribe(to: "test.fc.>")
            try await connection.flush()
            await consumer.engine.inject(
                NATSMessage(
                    subject: "inbox",
                    sid: 0,
                    replyTo: "test.fc.request",
                    headers: NATSHeaders(status: 100, description: "FlowControl Request"),
                    payload: ByteBuffer()
                )
            )
            await consumer.engine.inject(
                NATSMessage(
                    subject: "inbox",
                    sid: 0,
                    replyTo: nil,
                    headers: NATSHeaders(
                        status: 100,
                        description: "Idle Heartbeat",
                        [
                            ("Nats-Last-Consumer", "1"), ("Nats-Last-Stream", "1"),
                            ("Nats-Consumer-Stalled", "test.fc.stalled"),
                        ]
                    ),
                    payload: ByteBuffer()
                )
            )
            _ = try await js.publish("2", to: "fc.x")
            #expect(try await iterator.next()?.metadata.streamSequence == 2)
            var answered: [String] = []
            for await reply in replies {
                #expect(reply.payload.readableBytes == 0)
                answered.append(reply.subject)
                if answered.count == 2 { break }
            }
            #expect(answered == ["test.fc.request", "test.fc.stalled"])
            #expect(await consumer.recreations == 0)
            await consumer.stop()
        }
    }

    @Test func aDeliveryWithoutAnAckSubjectIsAnError() async throws {
        try await withJetStream { _, _, js in
            try await makeStream(js, "BAD")
            let consumer = try await js.orderedConsumer(stream: "BAD")
            var iterator = consumer.makeAsyncIterator()
            await consumer.engine.inject(
                NATSMessage(subject: "bad.x", sid: 0, replyTo: "$JS.ACK.BAD.c.1", headers: nil, payload: ByteBuffer())
            )
            do {
                let message = try await iterator.next()
                Issue.record("delivered \(String(describing: message))")
            } catch let error as JetStreamError {
                #expect(error.kind == .invalidReply)
            }
            await consumer.stop()
        }
    }

    /// The deliver subject of the stream's only consumer.
    private func deliverSubject(_ connection: NATSConnection, stream: String) async throws -> String {
        let names = try await connection.request("", to: "$JS.API.CONSUMER.NAMES.\(stream)")
        let list = try JSONDecoder().decode(ConsumerNames.self, from: names.data)
        let name = try #require(list.consumers.first)
        let info = try await connection.request("", to: "$JS.API.CONSUMER.INFO.\(stream).\(name)")
        return try JSONDecoder().decode(ConsumerInfoReply.self, from: info.data).config.deliverSubject
    }

    @Test func creationErrorsAreTyped() async throws {
        try await withJetStream { _, _, js in
            do {
                _ = try await js.orderedConsumer(stream: "MISSING")
                Issue.record("consumer on a missing stream")
            } catch let error as JetStreamError {
                #expect(error.errCode == 10059)
            }
            try await makeStream(js, "POL")
            do {
                _ = try await js.orderedConsumer(
                    stream: "POL",
                    config: OrderedConsumerConfig(deliverPolicy: .lastPerSubject)
                )
                Issue.record("last_per_subject without a filter accepted")
            } catch let error as JetStreamError {
                #expect(error.errCode == 10094)
            }
        }
    }
}

private struct ConsumerNames: Decodable {
    var consumers: [String]
}

private struct ConsumerInfoReply: Decodable {
    struct Config: Decodable {
        var deliverSubject: String
        enum CodingKeys: String, CodingKey { case deliverSubject = "deliver_subject" }
    }
    var config: Config
}
