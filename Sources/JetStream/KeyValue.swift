import Foundation
import NATSClient

/// A key-value bucket on JetStream (ADR-8).
///
/// Revisions are stream sequences: they grow across all keys of the bucket. Writes are
/// JetStream publishes with the context's retries (a unique `Nats-Msg-Id` per write makes a
/// retried write land at most once), so a write rides through a stream-leader election.
///
/// Reads go through `DIRECT.GET` by default: any replica answers, so reads stay up during an
/// election, but a replica may lag the leader and return an older revision. Unanswered reads are
/// retried (1 s attempts) within the retry budget, so a read fails only after that. Pass
/// `consistent: true` to read through the stream leader (`STREAM.MSG.GET`), which reflects every
/// acknowledged write but fails while there is no leader. Compare-and-set writes are always
/// checked by the leader, whatever was read.
public struct KeyValue: Sendable {
    /// The bucket name.
    public let bucket: String
    /// The backing stream, `KV_<bucket>`.
    public let streamName: String
    /// The JetStream context used for every call.
    public let js: JetStreamContext
    /// Whether the bucket's stream allows `DIRECT.GET`. Buckets made by other clients may not
    /// (nats-py's default); their non-consistent reads then go through the leader as well, because
    /// nats-server leaves direct gets on such streams unanswered.
    public let allowsDirect: Bool
    /// `$KV.<bucket>.`
    let subjectPrefix: String

    /// The same bucket through another context, e.g. one with a shorter retry budget or request
    /// timeout for a particular kind of call.
    public func using(_ js: JetStreamContext) -> KeyValue {
        KeyValue(bucket: bucket, js: js, allowsDirect: allowsDirect)
    }

    init(bucket: String, js: JetStreamContext, allowsDirect: Bool) {
        self.bucket = bucket
        self.streamName = "KV_\(bucket)"
        self.js = js
        self.allowsDirect = allowsDirect
        self.subjectPrefix = "$KV.\(bucket)."
    }

    // MARK: Reading

    /// The latest value of `key`, or `nil` if it has none or was deleted or purged.
    /// - Parameter consistent: read from the stream leader instead of any replica.
    /// - Throws: ``KeyValueError`` `.invalidKey`; ``JetStreamError`` (`.timeout` when nobody
    ///   answered: that means "unknown", not "absent").
    public func get(_ key: String, consistent: Bool = false) async throws -> KeyValueEntry? {
        try checkKey(key)
        guard let entry = try await read(.lastBySubject(subject(key)), consistent: consistent) else { return nil }
        return entry.operation == .put ? entry : nil
    }

    /// The value `key` had at `revision`, or `nil` if that revision is not a put of this key (or no
    /// longer stored).
    public func get(_ key: String, revision: UInt64, consistent: Bool = false) async throws -> KeyValueEntry? {
        try checkKey(key)
        guard let entry = try await read(.sequence(revision), consistent: consistent), entry.key == key else {
            return nil
        }
        return entry.operation == .put ? entry : nil
    }

    /// The latest entry of `key` including delete and purge markers.
    func latest(_ key: String, consistent: Bool) async throws -> KeyValueEntry? {
        try await read(.lastBySubject(subject(key)), consistent: consistent)
    }

    /// Reads one message. Reads are idempotent, so timeouts and no-responders are retried within
    /// the context's ``JetStreamContext/retryBudget`` with short attempts: right after a server dies,
    /// a direct get may still be routed to it and never be answered.
    private func read(_ selector: MessageSelector, consistent: Bool) async throws -> KeyValueEntry? {
        let message: StreamMessage?
        let leader = consistent || !allowsDirect
        let attempt = min(js.requestTimeout, leader ? .seconds(2) : .seconds(1))
        do {
            message = try await js.withRetries { remaining in
                leader
                    ? try await js.getMessage(stream: streamName, selector, timeout: min(attempt, remaining))
                    : try await js.directGet(stream: streamName, selector, timeout: min(attempt, remaining))
            }
        } catch let error as JetStreamError where error.errCode == 10059 {
            throw KeyValueError(.bucketNotFound, bucket: bucket, "\(error)")
        }
        guard let message, message.subject.hasPrefix(subjectPrefix) else { return nil }
        return KeyValueEntry(
            bucket: bucket,
            key: String(message.subject.dropFirst(subjectPrefix.count)),
            value: Array(message.payload.readableBytesView),
            revision: message.sequence,
            created: message.time ?? Date(timeIntervalSince1970: 0),
            delta: 0,
            operation: Self.operation(message.headers)
        )
    }

    /// The operation recorded in a message's `KV-Operation` header (PUT when absent).
    static func operation(_ headers: NATSHeaders?) -> KeyValueOperation {
        switch headers?["KV-Operation"] {
        case "DEL": return .delete
        case "PURGE": return .purge
        default: return .put
        }
    }

    /// The bucket's stream info; `state.lastSeq` is the latest revision of the whole bucket.
    public func streamInfo() async throws -> StreamInfo {
        do {
            return try await js.streamInfo(streamName)
        } catch let error as JetStreamError where error.errCode == 10059 {
            throw KeyValueError(.bucketNotFound, bucket: bucket, "\(error)")
        }
    }

    // MARK: Writing

    /// Stores `value` under `key` unconditionally.
    /// - Returns: the new revision.
    public func put(_ key: String, _ value: ByteBuffer) async throws -> UInt64 {
        try checkKey(key)
        return try await js.publish(value, to: subject(key)).seq
    }

    /// Stores `value` only if `key` has no live value: never written, deleted, purged, or expired.
    ///
    /// A delete or purge marker is itself the key's last message, so the first attempt (expected
    /// subject sequence 0) fails on it; the client then reads the marker from the leader and
    /// retries as an update on the marker's revision.
    /// - Returns: the new revision.
    /// - Throws: ``KeyValueError`` `.keyExists` (with the live revision when known).
    public func create(_ key: String, _ value: ByteBuffer) async throws -> UInt64 {
        try checkKey(key)
        do {
            return try await write(key, value, expectedRevision: 0)
        } catch let error as JetStreamError where error.isWrongLastSequence {
            let latest = try await js.withRetries { _ in try await self.latest(key, consistent: true) }
            if let latest, latest.operation != .put {
                do {
                    return try await write(key, value, expectedRevision: latest.revision)
                } catch let retry as JetStreamError where retry.isWrongLastSequence {
                    throw KeyValueError(
                        .keyExists,
                        bucket: bucket,
                        key: key,
                        actualRevision: retry.actualLastSequence,
                        ""
                    )
                }
            }
            throw KeyValueError(
                .keyExists,
                bucket: bucket,
                key: key,
                actualRevision: latest?.revision ?? error.actualLastSequence,
                ""
            )
        }
    }

    /// Stores `value` only if `revision` is still the latest revision of `key` (compare and set).
    /// - Returns: the new revision.
    /// - Throws: ``KeyValueError`` `.wrongLastRevision` with the actual revision when the server said.
    public func update(_ key: String, _ value: ByteBuffer, revision: UInt64) async throws -> UInt64 {
        try checkKey(key)
        do {
            return try await write(key, value, expectedRevision: revision)
        } catch let error as JetStreamError where error.isWrongLastSequence {
            throw KeyValueError(
                .wrongLastRevision,
                bucket: bucket,
                key: key,
                actualRevision: error.actualLastSequence,
                "expected revision \(revision)"
            )
        }
    }

    /// Writes a delete marker (`KV-Operation: DEL`); older revisions stay in the history.
    /// - Parameter revision: only if this is still the key's latest revision.
    /// - Returns: the marker's revision.
    @discardableResult
    public func delete(_ key: String, revision: UInt64? = nil) async throws -> UInt64 {
        try await mark(key, operation: .delete, revision: revision)
    }

    /// Writes a purge marker (`KV-Operation: PURGE`, `Nats-Rollup: sub`): the key's older
    /// revisions are removed.
    /// - Parameter revision: only if this is still the key's latest revision.
    /// - Returns: the marker's revision.
    @discardableResult
    public func purge(_ key: String, revision: UInt64? = nil) async throws -> UInt64 {
        try await mark(key, operation: .purge, revision: revision)
    }

    private func mark(_ key: String, operation: KeyValueOperation, revision: UInt64?) async throws -> UInt64 {
        try checkKey(key)
        var headers = NATSHeaders()
        headers["KV-Operation"] = operation.rawValue
        if operation == .purge { headers["Nats-Rollup"] = "sub" }
        do {
            return try await js.publish(
                ByteBuffer(),
                to: subject(key),
                headers: headers,
                options: PublishOptions(expectedLastSubjectSequence: revision)
            ).seq
        } catch let error as JetStreamError where error.isWrongLastSequence {
            throw KeyValueError(
                .wrongLastRevision,
                bucket: bucket,
                key: key,
                actualRevision: error.actualLastSequence,
                "expected revision \(revision.map(String.init) ?? "any")"
            )
        }
    }

    private func write(_ key: String, _ value: ByteBuffer, expectedRevision: UInt64) async throws -> UInt64 {
        try await js.publish(
            value,
            to: subject(key),
            options: PublishOptions(expectedLastSubjectSequence: expectedRevision)
        ).seq
    }

    // MARK: Keys and names

    func subject(_ key: String) -> String { subjectPrefix + key }

    func checkKey(_ key: String) throws {
        guard Self.isValidKey(key) else {
            throw KeyValueError(
                .invalidKey,
                bucket: bucket,
                key: key,
                "keys match [-/_=.a-zA-Z0-9]+ without leading, trailing or double dots"
            )
        }
    }

    /// Whether `key` is a valid key: `^[-/_=.a-zA-Z0-9]+$`, no leading or trailing `.`, no `..`.
    public static func isValidKey(_ key: String) -> Bool {
        isValidPattern(key, wildcards: false)
    }

    /// Whether `pattern` is a valid watch filter: a key whose tokens may also be `*`, and whose last
    /// token may be `>`.
    public static func isValidPattern(_ pattern: String, wildcards: Bool = true) -> Bool {
        guard !pattern.isEmpty else { return false }
        let tokens = pattern.split(separator: ".", omittingEmptySubsequences: false)
        for (index, token) in tokens.enumerated() {
            if token.isEmpty { return false }
            if wildcards && (token == "*" || (token == ">" && index == tokens.count - 1)) { continue }
            if !token.utf8.allSatisfy(isKeyByte) { return false }
        }
        return true
    }

    private static func isKeyByte(_ byte: UInt8) -> Bool {
        switch byte {
        case UInt8(ascii: "a")...UInt8(ascii: "z"), UInt8(ascii: "A")...UInt8(ascii: "Z"),
            UInt8(ascii: "0")...UInt8(ascii: "9"):
            return true
        default:
            return "-/_=".utf8.contains(byte)
        }
    }

    /// Whether `name` is a valid bucket name: `^[a-zA-Z0-9_-]+$`.
    public static func isValidBucketName(_ name: String) -> Bool {
        !name.isEmpty && name.utf8.allSatisfy { isKeyByte($0) && $0 != UInt8(ascii: "/") && $0 != UInt8(ascii: "=") }
    }

    static func checkBucketName(_ name: String) throws {
        guard isValidBucketName(name) else {
            throw KeyValueError(.invalidBucket, bucket: name, "bucket names match [a-zA-Z0-9_-]+")
        }
    }
}
