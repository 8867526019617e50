import Foundation
import NATSClient
import Synchronization

/// A request delivered to an endpoint handler, with the means to answer it.
public struct ServiceRequest: Sendable {
    /// The message as received.
    public let message: NATSMessage
    let connection: NATSConnection
    let outcome: RequestOutcome

    /// The subject the request was sent to (matches the endpoint's subject, wildcards resolved).
    public var subject: String { message.subject }
    /// The request headers, if any.
    public var headers: NATSHeaders? { message.headers }
    /// The request body.
    public var payload: ByteBuffer { message.payload }
    /// The request body as `Data`.
    public var data: Data { message.data }
    /// The request body as UTF-8 text.
    public var string: String { message.string }
    /// Where the answer goes; `nil` for a plain publish, which cannot be answered.
    public var replyTo: String? { message.replyTo }

    /// Sends a successful reply.
    /// - Throws: ``MicroError`` `.noReplySubject`, or the connection's `NATSError` from publishing.
    public func respond(_ payload: ByteBuffer, headers: NATSHeaders? = nil) async throws {
        guard let replyTo = message.replyTo else {
            throw MicroError(.noReplySubject, "request on '\(message.subject)' has no reply subject")
        }
        outcome.markResponded()
        try await connection.publish(payload, to: replyTo, headers: headers)
    }

    /// Sends UTF-8 text as a successful reply.
    public func respond(_ text: String, headers: NATSHeaders? = nil) async throws {
        try await respond(ByteBuffer(string: text), headers: headers)
    }

    /// Sends bytes as a successful reply.
    public func respond(_ data: Data, headers: NATSHeaders? = nil) async throws {
        try await respond(ByteBuffer(bytes: data), headers: headers)
    }

    /// Sends `value` encoded as JSON as a successful reply.
    public func respondJSON(_ value: some Encodable, headers: NATSHeaders? = nil) async throws {
        try await respond(JSONEncoder().encode(value), headers: headers)
    }

    /// Answers with an error: headers `Nats-Service-Error: <description>` and
    /// `Nats-Service-Error-Code: <code>`, and `data` as the body. Counts as an error in the endpoint's
    /// stats (`last_error` becomes `"<code>:<description>"`), as in the Go framework.
    /// - Throws: ``MicroError`` `.noReplySubject`, or the connection's `NATSError` from publishing.
    public func respondError(
        code: Int, description: String, data: ByteBuffer = ByteBuffer(), headers: NATSHeaders? = nil
    ) async throws {
        outcome.recordError("\(code):\(description)")
        guard let replyTo = message.replyTo else {
            throw MicroError(.noReplySubject, "request on '\(message.subject)' has no reply subject")
        }
        var all = headers ?? NATSHeaders()
        // Header values cannot hold line breaks; keep the description on one line.
        let oneLine = description.split(whereSeparator: \.isNewline).joined(separator: " ")
        all.append(oneLine, for: ServiceErrorHeader.description)
        all.append(String(code), for: ServiceErrorHeader.code)
        outcome.markResponded()
        try await connection.publish(data, to: replyTo, headers: all)
    }
}

/// What happened while a handler ran: whether it answered and the last error it reported.
final class RequestOutcome: Sendable {
    private struct State {
        var responded = false
        var error: String?
    }

    private let state = Mutex(State())

    func markResponded() { state.withLock { $0.responded = true } }
    func recordError(_ text: String) { state.withLock { $0.error = text } }
    var responded: Bool { state.withLock { $0.responded } }
    var error: String? { state.withLock { $0.error } }
}

extension NATSMessage {
    /// The service error a reply carries (`Nats-Service-Error-Code` and `Nats-Service-Error`), if any.
    public var serviceError: (code: Int, description: String)? {
        guard let headers, let codeText = headers[ServiceErrorHeader.code] else { return nil }
        return (Int(codeText) ?? 0, headers[ServiceErrorHeader.description] ?? "")
    }
}
