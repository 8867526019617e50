import Foundation

/// The `error` object of a JetStream API reply.
struct APIErrorBody: Decodable, Sendable {
    var code: Int?
    var errCode: Int?
    var description: String?

    enum CodingKeys: String, CodingKey {
        case code
        case errCode = "err_code"
        case description
    }
}

/// An API reply in one decoding pass: a well-formed `error` object wins; otherwise the whole
/// object is decoded as `Reply`.
struct APIReply<Reply: Decodable>: Decodable {
    var error: APIErrorBody?
    var value: Reply?

    enum CodingKeys: String, CodingKey { case error }

    init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        error = try? container.decodeIfPresent(APIErrorBody.self, forKey: .error)
        if error == nil { value = try Reply(from: decoder) }
    }
}

/// Where a stream keeps its messages.
public struct StorageType: RawRepresentable, Codable, Hashable, Sendable {
    public let rawValue: String
    public init(rawValue: String) { self.rawValue = rawValue }
    /// On disk (`"file"`), the default.
    public static let file = StorageType(rawValue: "file")
    /// In memory (`"memory"`).
    public static let memory = StorageType(rawValue: "memory")
}

/// What a full stream does with new messages.
public struct DiscardPolicy: RawRepresentable, Codable, Hashable, Sendable {
    public let rawValue: String
    public init(rawValue: String) { self.rawValue = rawValue }
    /// Remove old messages to make room (`"old"`).
    public static let old = DiscardPolicy(rawValue: "old")
    /// Refuse new messages (`"new"`).
    public static let new = DiscardPolicy(rawValue: "new")
}

/// A stream configuration (`$JS.API.STREAM.CREATE`/`UPDATE` body). Durations are nanoseconds.
public struct StreamConfig: Codable, Hashable, Sendable {
    /// The stream name (no dots, wildcards or whitespace).
    public var name: String
    /// The subjects the stream captures.
    public var subjects: [String]?
    /// `limits` (KV), `interest` or `workqueue`.
    public var retention: String?
    /// Maximum consumers; -1 = unlimited.
    public var maxConsumers: Int?
    /// Maximum messages in the stream; -1 = unlimited.
    public var maxMsgs: Int64?
    /// Maximum stream size in bytes; -1 = unlimited.
    public var maxBytes: Int64?
    /// Maximum message age in nanoseconds; 0 = forever.
    public var maxAge: Int64?
    /// Messages kept per subject (KV history).
    public var maxMsgsPerSubject: Int64?
    /// Largest message in bytes; -1 = unlimited.
    public var maxMsgSize: Int32?
    /// What happens when a limit is reached.
    public var discard: DiscardPolicy?
    /// File or memory.
    public var storage: StorageType?
    /// Replicas (R1, R3, R5).
    public var numReplicas: Int?
    /// De-duplication window in nanoseconds.
    public var duplicateWindow: Int64?
    /// Serve `DIRECT.GET` from every replica (set it at creation; enabling it later is unreliable on 2.9).
    public var allowDirect: Bool?
    /// Serve direct gets from mirrors too.
    public var mirrorDirect: Bool?
    /// No more writes or deletes.
    public var sealed: Bool?
    /// Refuse `STREAM.MSG.DELETE`.
    public var denyDelete: Bool?
    /// Refuse `STREAM.PURGE`.
    public var denyPurge: Bool?
    /// Honour `Nats-Rollup` headers (KV purge).
    public var allowRollupHdrs: Bool?

    /// A configuration with only a name and subjects; everything else takes the server default.
    public init(name: String, subjects: [String]? = nil) {
        self.name = name
        self.subjects = subjects
    }

    enum CodingKeys: String, CodingKey {
        case name, subjects, retention
        case maxConsumers = "max_consumers"
        case maxMsgs = "max_msgs"
        case maxBytes = "max_bytes"
        case maxAge = "max_age"
        case maxMsgsPerSubject = "max_msgs_per_subject"
        case maxMsgSize = "max_msg_size"
        case discard, storage
        case numReplicas = "num_replicas"
        case duplicateWindow = "duplicate_window"
        case allowDirect = "allow_direct"
        case mirrorDirect = "mirror_direct"
        case sealed
        case denyDelete = "deny_delete"
        case denyPurge = "deny_purge"
        case allowRollupHdrs = "allow_rollup_hdrs"
    }
}

/// A stream's counters (`state` of a stream info reply).
public struct StreamState: Decodable, Hashable, Sendable {
    /// Messages stored now.
    public var messages: UInt64
    /// Bytes stored now.
    public var bytes: UInt64
    /// The sequence of the oldest stored message.
    public var firstSeq: UInt64
    /// The sequence of the latest message ever stored (it does not go down when messages expire).
    public var lastSeq: UInt64
    /// Consumers on the stream.
    public var consumerCount: Int

    enum CodingKeys: String, CodingKey {
        case messages, bytes
        case firstSeq = "first_seq"
        case lastSeq = "last_seq"
        case consumerCount = "consumer_count"
    }

    public init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        messages = try container.decodeIfPresent(UInt64.self, forKey: .messages) ?? 0
        bytes = try container.decodeIfPresent(UInt64.self, forKey: .bytes) ?? 0
        firstSeq = try container.decodeIfPresent(UInt64.self, forKey: .firstSeq) ?? 0
        lastSeq = try container.decodeIfPresent(UInt64.self, forKey: .lastSeq) ?? 0
        consumerCount = try container.decodeIfPresent(Int.self, forKey: .consumerCount) ?? 0
    }
}

/// Where a replicated stream lives: its leader and replicas.
public struct ClusterInfo: Decodable, Hashable, Sendable {
    /// The cluster name.
    public var name: String?
    /// The server name of the stream leader.
    public var leader: String?
    /// The other replicas.
    public var replicas: [PeerInfo]?

    /// One replica of a stream.
    public struct PeerInfo: Decodable, Hashable, Sendable {
        /// Its server name.
        public var name: String
        /// Whether it is caught up.
        public var current: Bool?
        /// Whether it is unreachable.
        public var offline: Bool?
        /// Operations it is behind.
        public var lag: UInt64?
    }
}

/// A stream info reply (`$JS.API.STREAM.INFO`, also returned by create and update).
public struct StreamInfo: Decodable, Hashable, Sendable {
    /// The configuration in force.
    public var config: StreamConfig
    /// Message counts and sequences.
    public var state: StreamState
    /// Leader and replicas (clustered servers only).
    public var cluster: ClusterInfo?
}

/// The account's JetStream usage (`$JS.API.INFO`).
public struct AccountInfo: Decodable, Hashable, Sendable {
    /// Memory storage used, in bytes.
    public var memory: UInt64
    /// File storage used, in bytes.
    public var storage: UInt64
    /// Number of streams.
    public var streams: Int
    /// Number of consumers.
    public var consumers: Int
    /// The JetStream domain, if any.
    public var domain: String?
}

/// The stream's acknowledgement of a published message.
public struct PubAck: Decodable, Hashable, Sendable {
    /// The stream that stored the message.
    public var stream: String
    /// Its sequence in the stream (the KV revision).
    public var seq: UInt64
    /// The message repeated an earlier `Nats-Msg-Id`; ``seq`` is the original's.
    public var duplicate: Bool
    /// The JetStream domain that stored it, if any.
    public var domain: String?

    enum CodingKeys: String, CodingKey { case stream, seq, duplicate, domain }

    public init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        stream = try container.decode(String.self, forKey: .stream)
        seq = try container.decode(UInt64.self, forKey: .seq)
        duplicate = try container.decodeIfPresent(Bool.self, forKey: .duplicate) ?? false
        domain = try container.decodeIfPresent(String.self, forKey: .domain)
    }
}

/// The reply of a consumer create request (only the fields the client uses).
struct ConsumerCreateReply: Decodable, Sendable {
    var name: String
    var numPending: UInt64?
    var delivered: SequenceInfo?

    struct SequenceInfo: Decodable, Sendable {
        var consumerSeq: UInt64?
        var streamSeq: UInt64?
        enum CodingKeys: String, CodingKey {
            case consumerSeq = "consumer_seq"
            case streamSeq = "stream_seq"
        }
    }

    enum CodingKeys: String, CodingKey {
        case name
        case numPending = "num_pending"
        case delivered
    }
}

/// `STREAM.MSG.GET` reply body.
struct MsgGetReply: Decodable, Sendable {
    var message: StoredMessage

    struct StoredMessage: Decodable, Sendable {
        var subject: String
        var seq: UInt64
        var hdrs: String?
        var data: String?
        var time: String?
    }
}

/// Replies that carry nothing but success (`STREAM.DELETE`, `CONSUMER.DELETE`).
struct SuccessReply: Decodable, Sendable {
    var success: Bool?
}
