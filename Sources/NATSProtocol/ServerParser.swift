import Foundation
import NIOCore

/// An incremental, strict decoder of the server-to-client NATS protocol.
///
/// Feed it whatever bytes arrived, in any split; each call to ``next(from:)`` consumes at most one
/// complete operation and returns `nil` when more bytes are needed. Malformed input throws a
/// ``NATSProtocolError``; a control line longer than ``maxControlLine`` throws instead of waiting
/// for a line end that may never come.
public struct ServerParser: Sendable {
    /// Longest control line accepted (INFO lines with many cluster URLs can exceed the client limit
    /// of 4096 bytes, so the default is generous).
    public var maxControlLine: Int
    /// Largest payload (headers included) accepted in one message.
    public var maxPayload: Int

    private var pending: PendingMessage?

    private struct PendingMessage: Sendable {
        var subject: String
        var sid: UInt64
        var replyTo: String?
        var headerLength: Int
        var totalLength: Int
    }

    public init(maxControlLine: Int = 64 * 1024, maxPayload: Int = 64 * 1024 * 1024) {
        self.maxControlLine = maxControlLine
        self.maxPayload = maxPayload
    }

    /// Decodes the next operation from `buffer`, or returns `nil` if it is not complete yet.
    public mutating func next(from buffer: inout ByteBuffer) throws(NATSProtocolError) -> ServerOp? {
        if let message = pending {
            return try finishMessage(message, from: &buffer)
        }
        guard let lineEnd = buffer.readableBytesView.firstIndex(of: UInt8(ascii: "\n")) else {
            if buffer.readableBytes > maxControlLine {
                throw NATSProtocolError("control line longer than \(maxControlLine) bytes")
            }
            return nil
        }
        let lineLength = lineEnd - buffer.readerIndex
        if lineLength > maxControlLine {
            throw NATSProtocolError("control line longer than \(maxControlLine) bytes")
        }
        var line = buffer.readSlice(length: lineLength + 1)!
        line.moveWriterIndex(to: line.writerIndex - 1)
        if line.readableBytes > 0, line.getInteger(at: line.writerIndex - 1, as: UInt8.self) == 13 {
            line.moveWriterIndex(to: line.writerIndex - 1)
        }
        return try decodeLine(line, buffer: &buffer)
    }

    private mutating func decodeLine(_ line: ByteBuffer, buffer: inout ByteBuffer) throws(NATSProtocolError)
        -> ServerOp?
    {
        let bytes = line.readableBytesView
        let opEnd = bytes.firstIndex(where: Self.isSpace) ?? bytes.endIndex
        let op = bytes[bytes.startIndex..<opEnd]
        let rest = bytes[opEnd...].drop(while: Self.isSpace)
        switch Self.opcode(op) {
        case .msg:
            pending = try Self.messageHeader(rest, hasHeaders: false, maxPayload: maxPayload)
            return try finishMessage(pending!, from: &buffer)
        case .hmsg:
            pending = try Self.messageHeader(rest, hasHeaders: true, maxPayload: maxPayload)
            return try finishMessage(pending!, from: &buffer)
        case .ping:
            guard rest.isEmpty else { throw NATSProtocolError("PING with arguments") }
            return .ping
        case .pong:
            guard rest.isEmpty else { throw NATSProtocolError("PONG with arguments") }
            return .pong
        case .ok:
            return .ok
        case .err:
            return .error(Self.errorText(rest))
        case .info:
            return .info(try Self.info(rest))
        case nil:
            let shown = String(decoding: op.prefix(16), as: UTF8.self)
            throw NATSProtocolError("unknown protocol operation \"\(shown)\"")
        }
    }

    private mutating func finishMessage(_ message: PendingMessage, from buffer: inout ByteBuffer)
        throws(NATSProtocolError) -> ServerOp?
    {
        guard buffer.readableBytes >= message.totalLength + 2 else { return nil }
        let start = buffer.readerIndex + message.totalLength
        guard buffer.getInteger(at: start, as: UInt8.self) == 13,
            buffer.getInteger(at: start + 1, as: UInt8.self) == 10
        else {
            pending = nil
            throw NATSProtocolError("message payload for \"\(message.subject)\" not followed by CRLF")
        }
        pending = nil
        var headers: NATSHeaders?
        if message.headerLength > 0 {
            let block = buffer.readSlice(length: message.headerLength)!
            headers = try NATSHeaders.parse(block)
        }
        let payload = buffer.readSlice(length: message.totalLength - message.headerLength)!
        buffer.moveReaderIndex(forwardBy: 2)
        return .message(
            InboundMessage(
                subject: message.subject, sid: message.sid, replyTo: message.replyTo,
                headers: headers, payload: payload))
    }

    // MARK: Control-line pieces

    private enum Opcode { case msg, hmsg, ping, pong, ok, err, info }

    private static func isSpace(_ byte: UInt8) -> Bool { byte == 32 || byte == 9 }

    private static func opcode(_ op: ByteBufferView) -> Opcode? {
        var upper = [UInt8]()
        upper.reserveCapacity(4)
        for byte in op.prefix(5) { upper.append(byte >= 97 && byte <= 122 ? byte - 32 : byte) }
        guard op.count <= 4 else { return nil }
        switch upper {
        case Array("MSG".utf8): return .msg
        case Array("HMSG".utf8): return .hmsg
        case Array("PING".utf8): return .ping
        case Array("PONG".utf8): return .pong
        case Array("+OK".utf8): return .ok
        case Array("-ERR".utf8): return .err
        case Array("INFO".utf8): return .info
        default: return nil
        }
    }

    private static func tokens(_ rest: ByteBufferView) -> [ByteBufferView] {
        rest.split(whereSeparator: isSpace)
    }

    private static func messageHeader(_ rest: ByteBufferView, hasHeaders: Bool, maxPayload: Int)
        throws(NATSProtocolError) -> PendingMessage
    {
        let parts = tokens(rest)
        let name = hasHeaders ? "HMSG" : "MSG"
        let expected = hasHeaders ? 4 : 3
        guard parts.count == expected || parts.count == expected + 1 else {
            throw NATSProtocolError("\(name) with \(parts.count) arguments, expected \(expected) or \(expected + 1)")
        }
        let subject = String(decoding: parts[0], as: UTF8.self)
        guard let sid = number(parts[1]) else {
            throw NATSProtocolError("\(name) with a bad subscription id \"\(text(parts[1]))\"")
        }
        let replyTo = parts.count == expected + 1 ? String(decoding: parts[2], as: UTF8.self) : nil
        let sizes = parts.suffix(hasHeaders ? 2 : 1)
        guard let total = number(sizes.last!), total <= UInt64(maxPayload) else {
            throw NATSProtocolError("\(name) with a bad size \"\(text(sizes.last!))\"")
        }
        var headerLength: UInt64 = 0
        if hasHeaders {
            guard let value = number(sizes.first!), value <= total, value >= 10 else {
                throw NATSProtocolError("HMSG with a bad header size \"\(text(sizes.first!))\"")
            }
            headerLength = value
        }
        return PendingMessage(
            subject: subject, sid: sid, replyTo: replyTo, headerLength: Int(headerLength),
            totalLength: Int(total))
    }

    private static func number(_ token: ByteBufferView) -> UInt64? {
        guard !token.isEmpty, token.count <= 19 else { return nil }
        var value: UInt64 = 0
        for byte in token {
            guard byte >= 48 && byte <= 57 else { return nil }
            value = value * 10 + UInt64(byte - 48)
        }
        return value
    }

    private static func text(_ token: ByteBufferView) -> String {
        String(decoding: token.prefix(32), as: UTF8.self)
    }

    private static func errorText(_ rest: ByteBufferView) -> String {
        var text = String(decoding: rest, as: UTF8.self).trimmingCharacters(in: " \t")
        if text.hasPrefix("'") { text.removeFirst() }
        if text.hasSuffix("'") { text.removeLast() }
        return text
    }

    private static func info(_ rest: ByteBufferView) throws(NATSProtocolError) -> ServerInfo {
        do {
            return try JSONDecoder().decode(ServerInfo.self, from: Data(rest))
        } catch {
            throw NATSProtocolError("INFO is not valid JSON: \(error)")
        }
    }
}
