import Foundation
import NATSClient

/// What the `$JS.ACK.` reply subject of a consumer-delivered message says about it.
///
/// v1 (9 tokens): `$JS.ACK.<stream>.<consumer>.<delivered>.<sseq>.<cseq>.<ts>.<pending>`;
/// v2 (11 or more): `$JS.ACK.<domain>.<account hash>.<stream>.<consumer>.<delivered>.<sseq>.<cseq>.<ts>.<pending>[...]`
/// with domain `_` meaning none. Tokens after the 11th are ignored.
public struct AckMetadata: Sendable, Hashable {
    /// The JetStream domain (v2 only; `nil` for v1 or `_`).
    public var domain: String?
    /// The account hash (v2 only).
    public var accountHash: String?
    /// The stream name.
    public var stream: String
    /// The consumer name.
    public var consumer: String
    /// How many times this message was delivered (1 the first time).
    public var delivered: UInt64
    /// The stream sequence (the KV revision).
    public var streamSequence: UInt64
    /// The consumer sequence (1, 2, 3, ... per consumer).
    public var consumerSequence: UInt64
    /// The store time in nanoseconds since 1970.
    public var timestamp: UInt64
    /// Messages still pending for the consumer after this one (the KV delta; 0 = caught up).
    public var pending: UInt64

    /// The store time.
    public var time: Date { Date(timeIntervalSince1970: Double(timestamp) / 1_000_000_000) }

    /// Parses an ack subject.
    /// - Throws: ``JetStreamError`` `.invalidReply` unless it has the `$JS.ACK` prefix, 9 or ≥ 11
    ///   tokens, and numeric counters.
    public init(ackSubject: String) throws {
        let tokens = ackSubject.split(separator: ".", omittingEmptySubsequences: false)
        guard tokens.count >= 2, tokens[0] == "$JS", tokens[1] == "ACK" else {
            throw JetStreamError(.invalidReply, "not an ack subject: \"\(ackSubject.prefix(100))\"")
        }
        let fields: ArraySlice<Substring>
        switch tokens.count {
        case 9:
            fields = tokens[2...]
            domain = nil
            accountHash = nil
        case 11...:
            domain = tokens[2] == "_" || tokens[2].isEmpty ? nil : String(tokens[2])
            accountHash = String(tokens[3])
            fields = tokens[4...]
        default:
            throw JetStreamError(
                .invalidReply,
                "ack subject has \(tokens.count) tokens, expected 9 or at least 11: \"\(ackSubject.prefix(100))\""
            )
        }
        let base = fields.startIndex
        guard !fields[base].isEmpty, !fields[base + 1].isEmpty else {
            throw JetStreamError(.invalidReply, "ack subject without stream or consumer: \"\(ackSubject.prefix(100))\"")
        }
        stream = String(fields[base])
        consumer = String(fields[base + 1])
        var numbers: [UInt64] = []
        for token in fields[(base + 2)..<(base + 7)] {
            guard let value = UInt64(token) else {
                throw JetStreamError(.invalidReply, "ack subject has a bad number \"\(token.prefix(24))\"")
            }
            numbers.append(value)
        }
        (delivered, streamSequence, consumerSequence) = (numbers[0], numbers[1], numbers[2])
        (timestamp, pending) = (numbers[3], numbers[4])
    }
}

/// A message delivered by a JetStream consumer.
public struct JetStreamMessage: Sendable, Hashable {
    /// The subject it was published to.
    public var subject: String
    /// Its headers (`nil` when it has none).
    public var headers: NATSHeaders?
    /// The body (empty for headers-only consumers).
    public var payload: ByteBuffer
    /// Sequences, time and pending count from the ack subject.
    public var metadata: AckMetadata
}
