import Foundation

/// Where a consumer starts in its stream.
public struct DeliverPolicy: Sendable, Hashable, CustomStringConvertible {
    let name: String
    let startSequence: UInt64?

    /// Every stored message (`"all"`).
    public static let all = DeliverPolicy(name: "all", startSequence: nil)
    /// The latest message of the stream (`"last"`).
    public static let last = DeliverPolicy(name: "last", startSequence: nil)
    /// The latest message of every subject matching the filter (`"last_per_subject"`); needs a filter.
    public static let lastPerSubject = DeliverPolicy(name: "last_per_subject", startSequence: nil)
    /// Only messages stored after the consumer was created (`"new"`).
    public static let new = DeliverPolicy(name: "new", startSequence: nil)

    /// Messages from stream sequence `sequence` on (`"by_start_sequence"`).
    public static func startSequence(_ sequence: UInt64) -> DeliverPolicy {
        DeliverPolicy(name: "by_start_sequence", startSequence: max(sequence, 1))
    }

    public var description: String { startSequence.map { "\(name)(\($0))" } ?? name }
}

/// The configuration of an ordered push consumer (ADR-17).
///
/// The consumer itself is always ephemeral, R1, memory-backed, `ack_policy: none`, with flow
/// control and idle heartbeats on; these options choose what it delivers.
public struct OrderedConsumerConfig: Sendable, Hashable {
    /// Only messages on subjects matching this filter (wildcards allowed); `nil` = all.
    public var filterSubject: String?
    /// Where delivery starts.
    public var deliverPolicy: DeliverPolicy
    /// Deliver headers only (with `Nats-Msg-Size`), no payloads.
    public var headersOnly: Bool
    /// How often the server sends a heartbeat while idle. Three missed heartbeats (or a heartbeat
    /// that contradicts what was received) make the client recreate the consumer.
    public var idleHeartbeat: Duration
    /// How long the server keeps the consumer once nobody listens on its deliver subject.
    public var inactiveThreshold: Duration

    /// Creates a configuration.
    public init(
        filterSubject: String? = nil,
        deliverPolicy: DeliverPolicy = .all,
        headersOnly: Bool = false,
        idleHeartbeat: Duration = .seconds(5),
        inactiveThreshold: Duration = .seconds(60)
    ) {
        self.filterSubject = filterSubject
        self.deliverPolicy = deliverPolicy
        self.headersOnly = headersOnly
        self.idleHeartbeat = idleHeartbeat
        self.inactiveThreshold = inactiveThreshold
    }

    /// The `CONSUMER.CREATE` request body for delivery to `deliverSubject` from `policy`.
    func createRequest(stream: String, deliverSubject: String, policy: DeliverPolicy) throws -> Data {
        let config = Wire(
            deliverPolicy: policy.name,
            optStartSeq: policy.startSequence,
            filterSubject: filterSubject,
            idleHeartbeat: idleHeartbeat.jsonNanoseconds,
            headersOnly: headersOnly,
            deliverSubject: deliverSubject,
            inactiveThreshold: inactiveThreshold.jsonNanoseconds
        )
        return try JetStreamContext.encode(CreateRequest(streamName: stream, config: config))
    }

    struct CreateRequest: Encodable {
        var streamName: String
        var config: Wire
        enum CodingKeys: String, CodingKey {
            case streamName = "stream_name"
            case config
        }
    }

    struct Wire: Encodable {
        var deliverPolicy: String
        var optStartSeq: UInt64?
        var ackPolicy = "none"
        var ackWait: Int64 = 22 * 3600 * 1_000_000_000
        var maxDeliver = 1
        var filterSubject: String?
        var replayPolicy = "instant"
        var flowControl = true
        var idleHeartbeat: Int64
        var headersOnly: Bool
        var deliverSubject: String
        var inactiveThreshold: Int64
        var numReplicas = 1
        var memStorage = true

        enum CodingKeys: String, CodingKey {
            case deliverPolicy = "deliver_policy"
            case optStartSeq = "opt_start_seq"
            case ackPolicy = "ack_policy"
            case ackWait = "ack_wait"
            case maxDeliver = "max_deliver"
            case filterSubject = "filter_subject"
            case replayPolicy = "replay_policy"
            case flowControl = "flow_control"
            case idleHeartbeat = "idle_heartbeat"
            case headersOnly = "headers_only"
            case deliverSubject = "deliver_subject"
            case inactiveThreshold = "inactive_threshold"
            case numReplicas = "num_replicas"
            case memStorage = "mem_storage"
        }
    }
}

extension Duration {
    /// Whole nanoseconds, as JetStream JSON durations are written.
    var jsonNanoseconds: Int64 {
        let (seconds, attoseconds) = components
        return seconds * 1_000_000_000 + attoseconds / 1_000_000_000
    }
}
