import Foundation

/// The configuration of a key-value bucket (a stream named `KV_<bucket>` on `$KV.<bucket>.>`).
public struct KeyValueConfig: Sendable, Hashable {
    /// The bucket name: `^[a-zA-Z0-9_-]+$`.
    public var bucket: String
    /// Revisions kept per key, 1...64 (`max_msgs_per_subject`).
    public var history: Int
    /// How long a value lives (`max_age`); `nil` = forever. At least 100 ms on the server.
    public var ttl: Duration?
    /// Stream replicas (1, 3 or 5 in a cluster).
    public var replicas: Int
    /// File or memory storage.
    public var storage: StorageType
    /// Largest value in bytes; `nil` = unlimited.
    public var maxValueSize: Int32?
    /// Largest bucket size in bytes; `nil` = unlimited.
    public var maxBytes: Int64?
    /// The de-duplication window of `Nats-Msg-Id`; `nil` = 2 minutes, or the TTL if that is
    /// shorter. Never longer than the TTL.
    public var duplicateWindow: Duration?

    /// Creates a configuration.
    public init(
        bucket: String,
        history: Int = 1,
        ttl: Duration? = nil,
        replicas: Int = 1,
        storage: StorageType = .file,
        maxValueSize: Int32? = nil,
        maxBytes: Int64? = nil,
        duplicateWindow: Duration? = nil
    ) {
        self.bucket = bucket
        self.history = history
        self.ttl = ttl
        self.replicas = replicas
        self.storage = storage
        self.maxValueSize = maxValueSize
        self.maxBytes = maxBytes
        self.duplicateWindow = duplicateWindow
    }

    /// Checks the values the server would reject or misread.
    /// - Throws: ``KeyValueError`` `.invalidBucket` or `.invalidConfig`.
    public func validate() throws {
        try KeyValue.checkBucketName(bucket)
        guard (1...64).contains(history) else {
            throw KeyValueError(.invalidConfig, bucket: bucket, "history must be 1...64, not \(history)")
        }
        guard replicas >= 1 else { throw KeyValueError(.invalidConfig, bucket: bucket, "replicas must be ≥ 1") }
        if let ttl, ttl < .zero || (ttl > .zero && ttl < .milliseconds(100)) {
            throw KeyValueError(.invalidConfig, bucket: bucket, "ttl must be 0 or at least 100 ms, not \(ttl)")
        }
        if let duplicateWindow, let ttl, ttl > .zero, duplicateWindow > ttl {
            throw KeyValueError(
                .invalidConfig,
                bucket: bucket,
                "duplicate window \(duplicateWindow) exceeds ttl \(ttl)"
            )
        }
    }

    /// The stream configuration for this bucket.
    public var streamConfig: StreamConfig {
        var config = StreamConfig(name: "KV_\(bucket)", subjects: ["$KV.\(bucket).>"])
        config.retention = "limits"
        config.maxConsumers = -1
        config.maxMsgs = -1
        config.maxBytes = maxBytes ?? -1
        config.maxMsgSize = maxValueSize ?? -1
        config.maxMsgsPerSubject = Int64(history)
        let age = ttl ?? .zero
        config.maxAge = age.jsonNanoseconds
        var window = duplicateWindow ?? .seconds(120)
        if age > .zero && window > age { window = age }
        config.duplicateWindow = window.jsonNanoseconds
        config.discard = .new
        config.storage = storage
        config.numReplicas = replicas
        config.allowDirect = true
        config.mirrorDirect = false
        config.denyDelete = true
        config.denyPurge = false
        config.allowRollupHdrs = true
        return config
    }
}

/// What a key-value entry records.
public struct KeyValueOperation: RawRepresentable, Sendable, Hashable, CustomStringConvertible {
    public let rawValue: String
    public init(rawValue: String) { self.rawValue = rawValue }
    /// A value was written.
    public static let put = KeyValueOperation(rawValue: "PUT")
    /// The key was deleted (a marker; older revisions remain in the history).
    public static let delete = KeyValueOperation(rawValue: "DEL")
    /// The key was purged (a marker; older revisions were removed).
    public static let purge = KeyValueOperation(rawValue: "PURGE")
    public var description: String { rawValue }
}

/// One revision of one key.
public struct KeyValueEntry: Sendable, Hashable {
    /// The bucket name.
    public var bucket: String
    /// The key.
    public var key: String
    /// The value (empty for delete and purge markers).
    public var value: [UInt8]
    /// The revision: the stream sequence, increasing across all keys of the bucket.
    public var revision: UInt64
    /// When it was stored.
    public var created: Date
    /// For watch entries, how many newer entries were still pending when it was delivered; 0 otherwise.
    public var delta: UInt64
    /// Put, delete or purge.
    public var operation: KeyValueOperation

    /// The value as UTF-8 text.
    public var string: String { String(decoding: value, as: UTF8.self) }
    /// The value as `Data`.
    public var data: Data { Data(value) }
}

/// A key-value failure that callers decide on. Switch on ``code``.
public struct KeyValueError: Error, Sendable, Hashable, CustomStringConvertible {
    /// What went wrong.
    public struct Code: Hashable, Sendable, CustomStringConvertible {
        public let rawValue: String
        public init(_ rawValue: String) { self.rawValue = rawValue }
        public var description: String { rawValue }
        /// `create` found a live value.
        public static let keyExists = Code("key exists")
        /// `update`, `delete` or `purge` with a revision that is not the key's latest.
        public static let wrongLastRevision = Code("wrong last revision")
        /// The key is not a valid key (or filter).
        public static let invalidKey = Code("invalid key")
        /// The bucket name is not valid.
        public static let invalidBucket = Code("invalid bucket name")
        /// The bucket does not exist.
        public static let bucketNotFound = Code("bucket not found")
        /// The configuration is not valid.
        public static let invalidConfig = Code("invalid configuration")
    }

    /// What went wrong.
    public var code: Code
    /// The bucket concerned.
    public var bucket: String
    /// The key concerned, if any.
    public var key: String?
    /// For ``Code/wrongLastRevision`` and ``Code/keyExists``: the key's actual latest revision,
    /// when the server said.
    public var actualRevision: UInt64?
    /// Details (the server's text where there was one).
    public var message: String

    /// Creates an error.
    public init(_ code: Code, bucket: String, key: String? = nil, actualRevision: UInt64? = nil, _ message: String) {
        self.code = code
        self.bucket = bucket
        self.key = key
        self.actualRevision = actualRevision
        self.message = message
    }

    public var description: String {
        var text = "KV \(bucket)"
        if let key { text += " key \"\(key)\"" }
        text += ": \(code)"
        if let actualRevision { text += " (latest revision \(actualRevision))" }
        return message.isEmpty ? text : "\(text): \(message)"
    }
}
