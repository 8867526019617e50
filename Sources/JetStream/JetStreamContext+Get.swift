import Foundation
import NATSClient

/// One message read from a stream by sequence or by subject.
public struct StreamMessage: Sendable, Hashable {
    /// The subject it was published to.
    public var subject: String
    /// Its stream sequence.
    public var sequence: UInt64
    /// The headers it was published with (for direct gets also the `Nats-Stream`, `Nats-Subject`,
    /// `Nats-Sequence`, `Nats-Time-Stamp` headers the server adds), or `nil`.
    public var headers: NATSHeaders?
    /// The body.
    public var payload: ByteBuffer
    /// When the stream stored it.
    public var time: Date?
}

/// Which stored message to read.
public struct MessageSelector: Sendable, Hashable {
    var sequence: UInt64?
    var lastBySubject: String?

    /// The message with this stream sequence.
    public static func sequence(_ sequence: UInt64) -> MessageSelector {
        MessageSelector(sequence: sequence, lastBySubject: nil)
    }

    /// The latest message on `subject`.
    public static func lastBySubject(_ subject: String) -> MessageSelector {
        MessageSelector(sequence: nil, lastBySubject: subject)
    }

    var json: Data {
        var text = "{"
        if let sequence { text += "\"seq\":\(sequence)" }
        if let lastBySubject { text += "\"last_by_subj\":\(jsonString(lastBySubject))" }
        return Data((text + "}").utf8)
    }
}

extension JetStreamContext {
    /// Reads one message through `$JS.API.DIRECT.GET.<stream>`: any replica may answer, so reads stay
    /// available while a leader is being elected, but a replica may lag the leader (no
    /// read-after-write guarantee). The stream must have been created with `allow_direct: true`;
    /// otherwise the request times out, which is reported as an error, never as "absent".
    /// - Returns: the message, or `nil` when the server answered 404 (no such message).
    /// - Throws: ``JetStreamError`` (`.timeout` when no replica answered).
    public func directGet(stream: String, _ selector: MessageSelector) async throws -> StreamMessage? {
        try await directGet(stream: stream, selector, timeout: requestTimeout)
    }

    func directGet(stream: String, _ selector: MessageSelector, timeout: Duration) async throws -> StreamMessage? {
        try Self.checkStreamName(stream)
        let subject = "\(apiPrefix).DIRECT.GET.\(stream)"
        let reply: NATSMessage
        do {
            reply = try await connection.request(ByteBuffer(bytes: selector.json), to: subject, timeout: timeout)
        } catch {
            throw JetStreamError.from(error, subject: subject)
        }
        return try Self.decodeDirectReply(reply, subject: subject)
    }

    /// Reads one message through `$JS.API.STREAM.MSG.GET.<stream>`, answered by the stream leader:
    /// consistent with every acknowledged write, but unavailable while there is no leader.
    /// - Returns: the message, or `nil` on 10037 (no message found).
    /// - Throws: ``JetStreamError`` (10059 stream not found, `.timeout`, `.noResponders`).
    public func getMessage(stream: String, _ selector: MessageSelector) async throws -> StreamMessage? {
        try await getMessage(stream: stream, selector, timeout: requestTimeout)
    }

    func getMessage(stream: String, _ selector: MessageSelector, timeout: Duration) async throws -> StreamMessage? {
        try Self.checkStreamName(stream)
        let reply: MsgGetReply
        do {
            reply = try await request("STREAM.MSG.GET.\(stream)", body: selector.json, timeout: timeout)
        } catch let error as JetStreamError where error.errCode == 10037 {
            return nil
        }
        return try Self.storedMessage(reply.message, subject: "STREAM.MSG.GET.\(stream)")
    }

    static func decodeDirectReply(_ reply: NATSMessage, subject: String) throws -> StreamMessage? {
        if let status = reply.status {
            if status == 404 { return nil }
            let kind: JetStreamError.Kind = status == 503 ? .noResponders : .api
            throw JetStreamError(
                kind,
                code: Int(status),
                "\(subject): status \(status) \(reply.headers?.statusDescription ?? "")"
            )
        }
        guard let headers = reply.headers, let storedSubject = headers["Nats-Subject"],
            let sequenceText = headers["Nats-Sequence"], let sequence = UInt64(sequenceText)
        else {
            throw JetStreamError(.invalidReply, "\(subject): direct get reply without Nats-Subject/Nats-Sequence")
        }
        let time = headers["Nats-Time-Stamp"].flatMap(parseTimestamp)
        return StreamMessage(
            subject: storedSubject,
            sequence: sequence,
            headers: headers,
            payload: reply.payload,
            time: time
        )
    }

    static func storedMessage(_ message: MsgGetReply.StoredMessage, subject: String) throws -> StreamMessage {
        var headers: NATSHeaders?
        if let encoded = message.hdrs, !encoded.isEmpty {
            guard let raw = Data(base64Encoded: encoded) else {
                throw JetStreamError(.invalidReply, "\(subject): headers are not base64")
            }
            do {
                headers = try NATSHeaders.parse(ByteBuffer(bytes: raw))
            } catch {
                throw JetStreamError(.invalidReply, "\(subject): bad header block: \(error)")
            }
        }
        var payload = ByteBuffer()
        if let encoded = message.data, !encoded.isEmpty {
            guard let raw = Data(base64Encoded: encoded) else {
                throw JetStreamError(.invalidReply, "\(subject): data is not base64")
            }
            payload = ByteBuffer(bytes: raw)
        }
        return StreamMessage(
            subject: message.subject,
            sequence: message.seq,
            headers: headers,
            payload: payload,
            time: message.time.flatMap(parseTimestamp)
        )
    }
}

/// Quotes `text` as a JSON string.
func jsonString(_ text: String) -> String {
    let data = (try? JSONEncoder().encode(text)) ?? Data("\"\"".utf8)
    return String(decoding: data, as: UTF8.self)
}

/// Parses `2026-11-27T20:23:09.330059731Z` (RFC 3339, any fraction, `Z` or `±hh:mm`) and the
/// older Go form `2026-11-27 20:23:09.330059731 +0000 UTC`.
func parseTimestamp(_ text: String) -> Date? {
    let parts = text.split(whereSeparator: { $0 == "T" || $0 == " " })
    guard parts.count >= 2 else { return nil }
    let date = parts[0].split(separator: "-")
    guard date.count == 3, let year = Int(date[0]), let month = Int(date[1]), let day = Int(date[2]) else { return nil }
    var clock = Substring(parts[1])
    var offset = 0
    if parts.count >= 3, let zone = parseOffset(parts[2]) {
        offset = zone
    } else if clock.hasSuffix("Z") || clock.hasSuffix("z") {
        clock = clock.dropLast()
    } else if let sign = clock.lastIndex(where: { $0 == "+" || $0 == "-" }), let zone = parseOffset(clock[sign...]) {
        offset = zone
        clock = clock[..<sign]
    }
    let fields = clock.split(separator: ":")
    guard fields.count == 3, let hour = Int(fields[0]), let minute = Int(fields[1]) else { return nil }
    let secondParts = fields[2].split(separator: ".", omittingEmptySubsequences: false)
    guard let second = Int(secondParts[0]) else { return nil }
    var fraction = 0.0
    if secondParts.count == 2 {
        guard let value = Double("0." + secondParts[1]) else { return nil }
        fraction = value
    }
    guard (1...12).contains(month), (1...31).contains(day), (0...23).contains(hour), (0...59).contains(minute),
        (0...60).contains(second)
    else { return nil }
    let seconds = daysSinceEpoch(year: year, month: month, day: day) * 86_400 + hour * 3600 + minute * 60 + second
    return Date(timeIntervalSince1970: Double(seconds - offset) + fraction)
}

/// Days from 1970-01-01 to a proleptic Gregorian date (H. Hinnant's `days_from_civil`).
private func daysSinceEpoch(year: Int, month: Int, day: Int) -> Int {
    let y = month <= 2 ? year - 1 : year
    let era = (y >= 0 ? y : y - 399) / 400
    let yearOfEra = y - era * 400
    let dayOfYear = (153 * (month + (month > 2 ? -3 : 9)) + 2) / 5 + day - 1
    let dayOfEra = yearOfEra * 365 + yearOfEra / 4 - yearOfEra / 100 + dayOfYear
    return era * 146_097 + dayOfEra - 719_468
}

private func parseOffset(_ text: Substring) -> Int? {
    guard let first = text.first, first == "+" || first == "-" else { return nil }
    let digits = text.dropFirst().filter { $0 != ":" }
    guard digits.count == 4, let hours = Int(digits.prefix(2)), let minutes = Int(digits.suffix(2)) else { return nil }
    return (first == "-" ? -1 : 1) * (hours * 3600 + minutes * 60)
}
