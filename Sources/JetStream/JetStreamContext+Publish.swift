import Foundation
import NATSClient

/// Expectations and de-duplication for one JetStream publish (sent as `Nats-*` headers).
public struct PublishOptions: Sendable, Hashable {
    /// `Nats-Msg-Id`: a repeat within the stream's duplicate window is not stored again; the ack
    /// says `duplicate` and carries the original sequence. When `nil` and retries are enabled, a
    /// unique id is generated so that a retried publish cannot be stored twice.
    public var msgID: String?
    /// `Nats-Expected-Stream`: fail (10060) unless the subject belongs to this stream.
    public var expectedStream: String?
    /// `Nats-Expected-Last-Sequence`: fail (10071) unless the stream's last sequence is this.
    public var expectedLastSequence: UInt64?
    /// `Nats-Expected-Last-Subject-Sequence`: fail (10071/10164) unless the last message on this
    /// subject has this sequence; `0` means "no message on the subject".
    public var expectedLastSubjectSequence: UInt64?
    /// `Nats-Expected-Last-Msg-Id`: fail (10070) unless the stream's last message id is this.
    public var expectedLastMsgID: String?
    /// Retry transient failures (503 no responders, 10008, timeouts) within the context's
    /// ``JetStreamContext/retryBudget``.
    public var retry: Bool

    /// Creates options; all expectations off, retries on.
    public init(
        msgID: String? = nil,
        expectedStream: String? = nil,
        expectedLastSequence: UInt64? = nil,
        expectedLastSubjectSequence: UInt64? = nil,
        expectedLastMsgID: String? = nil,
        retry: Bool = true
    ) {
        self.msgID = msgID
        self.expectedStream = expectedStream
        self.expectedLastSequence = expectedLastSequence
        self.expectedLastSubjectSequence = expectedLastSubjectSequence
        self.expectedLastMsgID = expectedLastMsgID
        self.retry = retry
    }

    /// Adds the expectation headers to `headers`.
    func apply(to headers: inout NATSHeaders, msgID: String?) {
        if let msgID { headers["Nats-Msg-Id"] = msgID }
        if let expectedStream { headers["Nats-Expected-Stream"] = expectedStream }
        if let expectedLastSequence { headers["Nats-Expected-Last-Sequence"] = String(expectedLastSequence) }
        if let expectedLastSubjectSequence {
            headers["Nats-Expected-Last-Subject-Sequence"] = String(expectedLastSubjectSequence)
        }
        if let expectedLastMsgID { headers["Nats-Expected-Last-Msg-Id"] = expectedLastMsgID }
    }
}

extension JetStreamContext {
    /// Publishes to a subject a stream captures and waits for the stream's acknowledgement.
    ///
    /// Transient failures (no stream leader: 503 no responders or 10008; a timeout; no connection)
    /// are retried with backoff for up to ``retryBudget``. Nothing is sent while the connection is
    /// down, so a write that failed cannot land later from the client's reconnect buffer. Because a timed-out publish may still have been
    /// stored, every attempt carries the same `Nats-Msg-Id` (generated when ``PublishOptions/msgID``
    /// is `nil`), so the stream stores it at most once and a late retry reports the original
    /// sequence.
    /// - Parameters:
    ///   - payload: the message body.
    ///   - subject: the subject to publish to.
    ///   - headers: extra headers; the expectation headers are added to them.
    ///   - options: expectations, de-duplication, retries.
    /// - Returns: the ``PubAck``.
    /// - Throws: ``JetStreamError``: `.api` with `errCode` 10071/10164 (wrong last sequence), 10070,
    ///   10060; `.noResponders` when no stream captures the subject (after the retry budget).
    public func publish(
        _ payload: ByteBuffer,
        to subject: String,
        headers: NATSHeaders? = nil,
        options: PublishOptions = PublishOptions()
    ) async throws -> PubAck {
        var allHeaders = headers ?? NATSHeaders()
        let retrying = options.retry && retryBudget > .zero
        var msgID = options.msgID
        if msgID == nil && retrying { msgID = messageIDs.next() }
        options.apply(to: &allHeaders, msgID: msgID)
        let sendHeaders = allHeaders.isEmpty ? nil : allHeaders
        guard retrying else {
            return try await publishOnce(payload, to: subject, headers: sendHeaders, timeout: requestTimeout)
        }
        return try await withRetries { remaining in
            try await publishOnce(payload, to: subject, headers: sendHeaders, timeout: min(requestTimeout, remaining))
        }
    }

    /// Publishes bytes (see the `ByteBuffer` variant).
    public func publish(
        _ bytes: some Collection<UInt8>,
        to subject: String,
        headers: NATSHeaders? = nil,
        options: PublishOptions = PublishOptions()
    ) async throws -> PubAck {
        try await publish(ByteBuffer(bytes: bytes), to: subject, headers: headers, options: options)
    }

    /// Publishes UTF-8 text (see the `ByteBuffer` variant).
    public func publish(
        _ text: String,
        to subject: String,
        headers: NATSHeaders? = nil,
        options: PublishOptions = PublishOptions()
    ) async throws -> PubAck {
        try await publish(ByteBuffer(string: text), to: subject, headers: headers, options: options)
    }

    private func publishOnce(
        _ payload: ByteBuffer,
        to subject: String,
        headers: NATSHeaders?,
        timeout: Duration
    ) async throws -> PubAck {
        // While disconnected the client would keep the publish in its reconnect buffer and send it
        // after reconnecting, possibly long after this call gave up: a write the caller believes
        // failed would land later. Never hand a JetStream write to the buffer.
        guard connection.isConnected else {
            throw JetStreamError(.connection, "\(subject): not connected (JetStream writes are not buffered)")
        }
        let reply: NATSMessage
        do {
            reply = try await connection.request(payload, to: subject, headers: headers, timeout: timeout)
        } catch {
            throw JetStreamError.from(error, subject: subject)
        }
        if let status = reply.status, reply.payload.readableBytes == 0 {
            throw JetStreamError(
                status == 503 ? .noResponders : .invalidReply,
                code: Int(status),
                "\(subject): status \(status) \(reply.headers?.statusDescription ?? "")"
            )
        }
        return try Self.decodeReply(reply.data, subject: subject)
    }
}
