import Foundation
import NATSClient
import Synchronization

/// The JetStream API of one account, reached over a ``NATSConnection``.
///
/// Every call is a request to `<apiPrefix>.<operation>` (`$JS.API.STREAM.INFO.<stream>`, ...).
/// Replies carrying an `error` object become ``JetStreamError`` values with `.api` kind; malformed
/// replies become `.invalidReply` errors, never crashes.
public struct JetStreamContext: Sendable {
    /// The connection requests go through.
    public let connection: NATSConnection
    /// The API subject prefix: `$JS.API`, or `$JS.<domain>.API` with a domain.
    public let apiPrefix: String
    /// How long one API request may wait for its reply.
    public var requestTimeout: Duration
    /// How long writes (publishes) and consumer creation keep retrying transient failures: no
    /// responders, timeouts and 503-class errors while a stream leader is elected (4–9 s on a
    /// crashed R3 leader). Zero disables retries.
    public var retryBudget: Duration
    /// Message ids for idempotent retries, shared by copies of this context.
    let messageIDs = MessageIDs()

    /// Creates a context.
    /// - Parameters:
    ///   - connection: the connection to use.
    ///   - domain: a JetStream domain; the prefix becomes `$JS.<domain>.API`.
    ///   - apiPrefix: an explicit prefix (for imported APIs); wins over `domain`.
    ///   - requestTimeout: per-request timeout (default 5 s).
    ///   - retryBudget: total time to retry transient write failures (default 10 s).
    public init(
        connection: NATSConnection,
        domain: String? = nil,
        apiPrefix: String? = nil,
        requestTimeout: Duration = .seconds(5),
        retryBudget: Duration = .seconds(10)
    ) {
        self.connection = connection
        if let apiPrefix {
            self.apiPrefix = apiPrefix.hasSuffix(".") ? String(apiPrefix.dropLast()) : apiPrefix
        } else if let domain, !domain.isEmpty {
            self.apiPrefix = "$JS.\(domain).API"
        } else {
            self.apiPrefix = "$JS.API"
        }
        self.requestTimeout = requestTimeout
        self.retryBudget = retryBudget
    }

    // MARK: Account and streams

    /// The account's JetStream usage (`$JS.API.INFO`).
    /// - Throws: ``JetStreamError`` (`.noResponders` when JetStream is not enabled).
    public func accountInfo() async throws -> AccountInfo {
        try await request("INFO", body: nil)
    }

    /// Creates a stream (`STREAM.CREATE`); succeeds if an identical stream exists.
    /// - Throws: ``JetStreamError``; `10058` when a stream with that name has another configuration.
    public func createStream(_ config: StreamConfig) async throws -> StreamInfo {
        try Self.checkStreamName(config.name)
        return try await request("STREAM.CREATE.\(config.name)", body: try Self.encode(config))
    }

    /// Replaces a stream's configuration (`STREAM.UPDATE`).
    public func updateStream(_ config: StreamConfig) async throws -> StreamInfo {
        try Self.checkStreamName(config.name)
        return try await request("STREAM.UPDATE.\(config.name)", body: try Self.encode(config))
    }

    /// A stream's configuration and state (`STREAM.INFO`).
    /// - Throws: ``JetStreamError`` with `errCode` 10059 when the stream does not exist.
    public func streamInfo(_ name: String) async throws -> StreamInfo {
        try Self.checkStreamName(name)
        return try await request("STREAM.INFO.\(name)", body: nil)
    }

    /// Deletes a stream and its messages (`STREAM.DELETE`).
    public func deleteStream(_ name: String) async throws {
        try Self.checkStreamName(name)
        let _: SuccessReply = try await request("STREAM.DELETE.\(name)", body: nil)
    }

    // MARK: Requests

    /// Sends one API request and decodes the reply, mapping `error` objects to ``JetStreamError``.
    /// - Parameters:
    ///   - operation: the subject after the prefix, e.g. `STREAM.INFO.KV_b`.
    ///   - body: the JSON body, or `nil` for an empty one.
    func request<Reply: Decodable>(_ operation: String, body: Data?, timeout: Duration? = nil) async throws -> Reply {
        let subject = "\(apiPrefix).\(operation)"
        let reply: NATSMessage
        do {
            reply = try await connection.request(
                ByteBuffer(bytes: body ?? Data()),
                to: subject,
                timeout: timeout ?? requestTimeout
            )
        } catch {
            throw JetStreamError.from(error, subject: subject)
        }
        return try Self.decodeReply(reply.data, subject: subject)
    }

    /// Decodes an API reply: an `error` object wins; malformed JSON is an `.invalidReply` error.
    static func decodeReply<Reply: Decodable>(_ data: Data, subject: String) throws -> Reply {
        let envelope: APIReply<Reply>
        do {
            envelope = try JSONDecoder().decode(APIReply<Reply>.self, from: data)
        } catch {
            let sample = String(decoding: data.prefix(120), as: UTF8.self)
            throw JetStreamError(.invalidReply, "\(subject): cannot decode \(Reply.self) from \"\(sample)\": \(error)")
        }
        if let error = envelope.error {
            throw JetStreamError(
                .api,
                code: error.code,
                errCode: error.errCode,
                "\(subject): \(error.description ?? "no description")"
            )
        }
        guard let value = envelope.value else {
            throw JetStreamError(.invalidReply, "\(subject): empty reply")
        }
        return value
    }

    static func encode(_ value: some Encodable) throws -> Data {
        do {
            return try JSONEncoder().encode(value)
        } catch {
            throw JetStreamError(.invalidArgument, "cannot encode \(type(of: value)): \(error)")
        }
    }

    /// Stream names become subject tokens: no dots, wildcards, whitespace or path separators.
    static func checkStreamName(_ name: String) throws {
        let bad = name.isEmpty || name.utf8.contains { $0 <= 32 || $0 == 127 || ".*>/\\".utf8.contains($0) }
        if bad { throw JetStreamError(.invalidArgument, "invalid stream name \"\(name)\"") }
    }

    /// Runs `body` until it succeeds, fails with a non-transient error, or ``retryBudget`` is spent.
    /// Backs off from 50 ms up to 500 ms between attempts.
    func withRetries<T>(
        isolation: isolated (any Actor)? = #isolation,
        _ body: (_ remaining: Duration) async throws -> T
    ) async throws -> T {
        let clock = ContinuousClock()
        let deadline = clock.now + retryBudget
        var pause = Duration.milliseconds(50)
        while true {
            let remaining = max(deadline - clock.now, .milliseconds(200))
            do {
                return try await body(remaining)
            } catch let error as JetStreamError where error.isTransient {
                if clock.now + pause >= deadline { throw error }
                try await Task.sleep(for: pause)
                pause = min(pause * 2, .milliseconds(500))
            }
        }
    }
}

/// A NUID generator shared across tasks (one CSPRNG-seeded prefix, then cheap increments).
final class MessageIDs: Sendable {
    private let nuid = Mutex(NUID())

    /// A new unique id.
    func next() -> String { nuid.withLock { $0.next() } }
}
