import NIOCore
import Testing

@testable import NATSProtocol

/// Byte fixtures of every server operation, each with the ops it must decode to.
let fixtures: [(name: String, bytes: String, ops: [ServerOp])] = [
    ("ping", "PING\r\n", [.ping]),
    ("pong", "PONG\r\n", [.pong]),
    ("ok", "+OK\r\n", [.ok]),
    ("lowercase ping", "ping\r\n", [.ping]),
    ("err", "-ERR 'Authorization Violation'\r\n", [.error("Authorization Violation")]),
    ("msg", "MSG foo.bar 9 11\r\nhello world\r\n",
     [.message(InboundMessage(subject: "foo.bar", sid: 9, replyTo: nil, headers: nil, payload: ByteBuffer(string: "hello world")))]),
    ("msg with reply", "MSG foo 1 _INBOX.x.1 2\r\nhi\r\n",
     [.message(InboundMessage(subject: "foo", sid: 1, replyTo: "_INBOX.x.1", headers: nil, payload: ByteBuffer(string: "hi")))]),
    ("msg empty", "MSG foo 1 0\r\n\r\n",
     [.message(InboundMessage(subject: "foo", sid: 1, replyTo: nil, headers: nil, payload: ByteBuffer()))]),
    ("msg payload with CRLF", "MSG a 2 4\r\n\r\n\r\n\r\n",
     [.message(InboundMessage(subject: "a", sid: 2, replyTo: nil, headers: nil, payload: ByteBuffer(string: "\r\n\r\n")))]),
    ("msg tabs", "MSG\tfoo\t3\t1\r\nx\r\n",
     [.message(InboundMessage(subject: "foo", sid: 3, replyTo: nil, headers: nil, payload: ByteBuffer(string: "x")))]),
    ("hmsg 503", "HMSG _INBOX.abc.1 9 16 16\r\nNATS/1.0 503\r\n\r\n\r\n",
     [.message(InboundMessage(subject: "_INBOX.abc.1", sid: 9, replyTo: nil, headers: NATSHeaders(status: 503), payload: ByteBuffer()))]),
    ("hmsg heartbeat",
     "HMSG _INBOX.d 3 75 75\r\nNATS/1.0 100 Idle Heartbeat\r\nNats-Last-Consumer: 4\r\nNats-Last-Stream: 7\r\n\r\n\r\n",
     [.message(InboundMessage(subject: "_INBOX.d", sid: 3, replyTo: nil,
        headers: NATSHeaders(status: 100, description: "Idle Heartbeat", [("Nats-Last-Consumer", "4"), ("Nats-Last-Stream", "7")]),
        payload: ByteBuffer()))]),
    ("hmsg with reply and payload", "HMSG s 1 r 24 29\r\nNATS/1.0\r\nA: b\r\nA: c\r\n\r\nhello\r\n",
     [.message(InboundMessage(subject: "s", sid: 1, replyTo: "r", headers: NATSHeaders([("A", "b"), ("A", "c")]), payload: ByteBuffer(string: "hello")))]),
    ("info", #"INFO {"server_id":"X","version":"2.9.10","max_payload":1048576,"headers":true,"connect_urls":["127.0.0.1:1"],"ldm":true}"# + "\r\n",
     [.info({ var i = ServerInfo(); i.serverID = "X"; i.version = "2.9.10"; i.maxPayload = 1_048_576; i.headers = true; i.connectURLs = ["127.0.0.1:1"]; i.lameDuckMode = true; return i }())]),
    ("sequence", "PING\r\nMSG a 1 1\r\nz\r\nPONG\r\n",
     [.ping, .message(InboundMessage(subject: "a", sid: 1, replyTo: nil, headers: nil, payload: ByteBuffer(string: "z"))), .pong]),
]

/// Decodes `chunks` fed one after another, collecting every op.
func decode(_ chunks: [ArraySlice<UInt8>]) throws -> [ServerOp] {
    var parser = ServerParser()
    var buffer = ByteBuffer()
    var ops: [ServerOp] = []
    for chunk in chunks {
        buffer.writeBytes(chunk)
        while let op = try parser.next(from: &buffer) { ops.append(op) }
    }
    #expect(buffer.readableBytes == 0, "bytes left over")
    return ops
}

@Suite struct ServerParserTests {
    @Test(arguments: fixtures.indices)
    func wholeFrame(_ index: Int) throws {
        let fixture = fixtures[index]
        #expect(try decode([ArraySlice(Array(fixture.bytes.utf8))]) == fixture.ops, "\(fixture.name)")
    }

    @Test(arguments: fixtures.indices)
    func everySplitPoint(_ index: Int) throws {
        let fixture = fixtures[index]
        let bytes = Array(fixture.bytes.utf8)
        for split in 0...bytes.count {
            let ops = try decode([bytes[..<split], bytes[split...]])
            #expect(ops == fixture.ops, "\(fixture.name) split at \(split)")
        }
    }

    @Test(arguments: fixtures.indices)
    func byteByByteAndRandomSplits(_ index: Int) throws {
        let fixture = fixtures[index]
        let bytes = Array(fixture.bytes.utf8)
        #expect(try decode(bytes.indices.map { bytes[$0...$0] }) == fixture.ops, "\(fixture.name) byte by byte")
        var generator = SystemRandomNumberGenerator()
        for _ in 0..<50 {
            var chunks: [ArraySlice<UInt8>] = []
            var start = 0
            while start < bytes.count {
                let end = min(bytes.count, start + Int.random(in: 1...7, using: &generator))
                chunks.append(bytes[start..<end])
                start = end
            }
            #expect(try decode(chunks) == fixture.ops, "\(fixture.name) random chunks \(chunks.map(\.count))")
        }
    }

    @Test func incompleteInputWaits() throws {
        var parser = ServerParser()
        var buffer = ByteBuffer(string: "MSG foo 1 5\r\nhel")
        #expect(try parser.next(from: &buffer) == nil)
        buffer.writeString("lo\r")
        #expect(try parser.next(from: &buffer) == nil)
        buffer.writeString("\n")
        let op = try parser.next(from: &buffer)
        guard case .message(let message) = op else { Issue.record("expected a message, got \(String(describing: op))"); return }
        #expect(String(buffer: message.payload) == "hello")
    }

    static let malformed: [(String, String)] = [
        ("unknown op", "HELLO world\r\n"),
        ("msg missing size", "MSG foo 1\r\n"),
        ("msg too many args", "MSG a b c d e f\r\n"),
        ("msg bad sid", "MSG foo x 1\r\nz\r\n"),
        ("msg negative size", "MSG foo 1 -1\r\n"),
        ("msg huge size", "MSG foo 1 99999999999999999999\r\n"),
        ("msg size too big", "MSG foo 1 999999999\r\n"),
        ("msg no CRLF after payload", "MSG foo 1 2\r\nabcd\r\n"),
        ("hmsg header bigger than total", "HMSG foo 1 20 10\r\n"),
        ("hmsg header block garbage", "HMSG foo 1 12 12\r\nGARBAGE/1.0\r\n\r\n"),
        ("hmsg header line without colon", "HMSG foo 1 21 21\r\nNATS/1.0\r\nnocolon\r\n\r\n\r\n"),
        ("hmsg bad status", "HMSG foo 1 16 16\r\nNATS/1.0 5x3\r\n\r\n\r\n"),
        ("info not json", "INFO {not json\r\n"),
        ("ping with args", "PING x\r\n"),
        ("binary", "\u{01}\u{02}\u{03}\r\n"),
    ]

    @Test(arguments: malformed.indices)
    func malformedInputThrows(_ index: Int) {
        let (name, text) = Self.malformed[index]
        #expect(throws: NATSProtocolError.self, "\(name)") {
            var parser = ServerParser()
            var buffer = ByteBuffer(string: text)
            while try parser.next(from: &buffer) != nil {}
        }
    }

    @Test func endlessLineThrowsInsteadOfWaiting() {
        var parser = ServerParser(maxControlLine: 4096)
        var buffer = ByteBuffer(repeating: UInt8(ascii: "A"), count: 5000)
        #expect(throws: NATSProtocolError.self) { _ = try parser.next(from: &buffer) }
    }

    @Test func randomGarbageNeverCrashes() {
        var generator = SystemRandomNumberGenerator()
        let alphabet = Array("MSG HMSG PING PONG INFO -ERR +OK 0123456789 \r\n\r\n{}NATS/1.0: abc".utf8)
        for _ in 0..<2000 {
            var parser = ServerParser(maxControlLine: 256, maxPayload: 1024)
            var buffer = ByteBuffer()
            let count = Int.random(in: 1...200, using: &generator)
            for _ in 0..<count { buffer.writeInteger(alphabet.randomElement(using: &generator)!) }
            do {
                var steps = 0
                while try parser.next(from: &buffer) != nil { steps += 1; if steps > 1000 { break } }
            } catch {}
        }
    }
}
