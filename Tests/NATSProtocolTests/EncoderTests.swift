import NIOCore
import Testing

@testable import NATSProtocol

@Suite struct EncoderTests {
    @Test func pub() {
        var buffer = ByteBuffer()
        buffer.writePublish(subject: "foo", replyTo: nil, headers: nil, payload: ByteBuffer(string: "hello"))
        #expect(String(buffer: buffer) == "PUB foo 5\r\nhello\r\n")
    }

    @Test func pubWithReplyAndEmptyPayload() {
        var buffer = ByteBuffer()
        buffer.writePublish(subject: "foo", replyTo: "_INBOX.1", headers: nil, payload: ByteBuffer())
        #expect(String(buffer: buffer) == "PUB foo _INBOX.1 0\r\n\r\n")
    }

    @Test func hpub() {
        var buffer = ByteBuffer()
        let headers = NATSHeaders([("Nats-Expected-Last-Subject-Sequence", "0")])
        buffer.writePublish(subject: "$KV.b.k", replyTo: "r", headers: headers, payload: ByteBuffer(string: "v"))
        let block = "NATS/1.0\r\nNats-Expected-Last-Subject-Sequence: 0\r\n\r\n"
        #expect(String(buffer: buffer) == "HPUB $KV.b.k r \(block.utf8.count) \(block.utf8.count + 1)\r\n\(block)v\r\n")
    }

    @Test func emptyHeaderBlockIsTwelveBytes() {
        var buffer = ByteBuffer()
        buffer.writePublish(subject: "a", replyTo: nil, headers: NATSHeaders(), payload: ByteBuffer())
        #expect(String(buffer: buffer) == "HPUB a 12 12\r\nNATS/1.0\r\n\r\n\r\n")
    }

    @Test func subUnsub() {
        var buffer = ByteBuffer()
        buffer.writeSubscribe(subject: "a.*", queue: "q", sid: 12)
        buffer.writeSubscribe(subject: "b.>", queue: nil, sid: 1_234_567_890)
        buffer.writeUnsubscribe(sid: 12)
        buffer.writeUnsubscribe(sid: 7, max: 3)
        #expect(String(buffer: buffer) == "SUB a.* q 12\r\nSUB b.> 1234567890\r\nUNSUB 12\r\nUNSUB 7 3\r\n")
    }

    /// What we encode as a header block, the parser reads back unchanged.
    @Test func headerRoundTrip() throws {
        let headers = NATSHeaders(status: 408, description: "Request Timeout", [("A", "1"), ("a", "2"), ("A", "3 4")])
        var buffer = ByteBuffer()
        headers.write(to: &buffer)
        #expect(try NATSHeaders.parse(buffer) == headers)
        #expect(headers.values(for: "A") == ["1", "3 4"])
        #expect(headers["a"] == "2")
    }

    @Test func invalidHeadersAreRejected() {
        #expect(throws: NATSProtocolError.self) { try NATSHeaders([("Bad Name", "x")]).validate() }
        #expect(throws: NATSProtocolError.self) { try NATSHeaders([("Name", "a\r\nInjected: 1")]).validate() }
    }

    @Test func subjects() {
        #expect(Subject.isValidForPublish("foo.bar"))
        #expect(!Subject.isValidForPublish("foo.*"))
        #expect(!Subject.isValidForPublish("foo..bar"))
        #expect(!Subject.isValidForPublish("foo bar"))
        #expect(!Subject.isValidForPublish(""))
        #expect(Subject.isValidForSubscribe("foo.*.>"))
        #expect(!Subject.isValidForSubscribe("foo.>.bar"))
    }

    @Test func nuidShapeAndUniqueness() {
        var nuid = NUID()
        var seen = Set<String>()
        for _ in 0..<10000 {
            let id = nuid.next()
            #expect(id.utf8.count == 22)
            #expect(id.allSatisfy { $0.isASCII && ($0.isLetter || $0.isNumber) })
            seen.insert(id)
        }
        #expect(seen.count == 10000)
    }
}
