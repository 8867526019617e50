import NIOCore

/// Encoders for the client-to-server operations. Each appends one complete operation to a buffer.
extension ByteBuffer {
    /// `PUB <subject> [reply] <#bytes>` or, with headers, `HPUB <subject> [reply] <#hdr> <#total>`,
    /// followed by the payload and CRLF.
    public mutating func writePublish(
        subject: String, replyTo: String?, headers: NATSHeaders?, payload: ByteBuffer
    ) {
        if let headers {
            var block = ByteBuffer()
            let headerLength = headers.write(to: &block)
            writeStaticString("HPUB ")
            writeString(subject)
            if let replyTo {
                writeStaticString(" ")
                writeString(replyTo)
            }
            writeStaticString(" ")
            writeDecimal(headerLength)
            writeStaticString(" ")
            writeDecimal(headerLength + payload.readableBytes)
            writeStaticString("\r\n")
            writeImmutableBuffer(block)
        } else {
            writeStaticString("PUB ")
            writeString(subject)
            if let replyTo {
                writeStaticString(" ")
                writeString(replyTo)
            }
            writeStaticString(" ")
            writeDecimal(payload.readableBytes)
            writeStaticString("\r\n")
        }
        writeImmutableBuffer(payload)
        writeStaticString("\r\n")
    }

    /// `SUB <subject> [queue group] <sid>`.
    public mutating func writeSubscribe(subject: String, queue: String?, sid: UInt64) {
        writeStaticString("SUB ")
        writeString(subject)
        if let queue {
            writeStaticString(" ")
            writeString(queue)
        }
        writeStaticString(" ")
        writeDecimal(Int(sid))
        writeStaticString("\r\n")
    }

    /// `UNSUB <sid> [max]`.
    public mutating func writeUnsubscribe(sid: UInt64, max: UInt64? = nil) {
        writeStaticString("UNSUB ")
        writeDecimal(Int(sid))
        if let max {
            writeStaticString(" ")
            writeDecimal(Int(max))
        }
        writeStaticString("\r\n")
    }

    /// `CONNECT <json>`.
    public mutating func writeConnect(json: String) {
        writeStaticString("CONNECT ")
        writeString(json)
        writeStaticString("\r\n")
    }

    public mutating func writePing() { writeStaticString("PING\r\n") }

    public mutating func writePong() { writeStaticString("PONG\r\n") }

    /// Writes a non-negative decimal integer without going through `String`.
    @inlinable
    mutating func writeDecimal(_ value: Int) {
        precondition(value >= 0)
        if value < 10 {
            writeInteger(UInt8(48 + value))
            return
        }
        var digits: (UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8,
                     UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8) =
            (0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0)
        var count = 0
        var rest = value
        withUnsafeMutableBytes(of: &digits) { raw in
            while rest > 0 {
                raw[19 - count] = UInt8(48 + rest % 10)
                rest /= 10
                count += 1
            }
            writeBytes(UnsafeRawBufferPointer(rebasing: raw[(20 - count)...]))
        }
    }
}

/// Size of the bytes a publish puts on the wire against the server's `max_payload` (headers + payload).
public func publishedSize(headers: NATSHeaders?, payload: ByteBuffer) -> Int {
    guard let headers else { return payload.readableBytes }
    var scratch = ByteBuffer()
    return headers.write(to: &scratch) + payload.readableBytes
}
