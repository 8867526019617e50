/// The timing and identity parameters of one node's election.
///
/// Defaults follow go-cluster (lease TTL 10 s, heartbeat 3 s). See ``ElectionTiming`` for why each bound
/// exists and which NATS faults a given configuration rides through.
public struct ElectionConfig: Sendable, Equatable {
    /// This node's identifier; the lease's `node_id` and the suffix of its `cooldown.<nodeId>` marker.
    public var nodeId: String
    /// The bucket's max age: how long the lease lives on the server after its last write.
    public var leaseTTL: Duration
    /// How often the leader renews the lease with a CAS update.
    public var heartbeatInterval: Duration
    /// How long before the lease could expire on the server the leader stops acting as leader.
    /// Covers clock drift, scheduling delay and the time it takes to remove the VIP.
    public var safetyMargin: Duration
    /// Delay between renewal attempts after a renewal failed without a verdict (timeout, 503, disconnected).
    public var renewRetryInterval: Duration
    /// Delay between acquisition attempts while a follower waits for a lease it saw to expire.
    public var acquireRetryInterval: Duration
    /// How long past the computed expiry of a lease a follower keeps retrying every `acquireRetryInterval`.
    public var expiryRetryWindow: Duration
    /// The slow periodic re-read and acquisition attempt that backs the watch and the local timers.
    public var safetyNetInterval: Duration
    /// How long a node that stepped down stays out of the election.
    public var cooldown: Duration
    /// How long a cooling-down node waits after it sees the lease free before contending anyway. Any other
    /// live, eligible node reacts to the free lease within milliseconds, so a cooling-down node that still
    /// finds the lease free after this long concludes that no other node can take over.
    public var cooldownYield: Duration

    /// Creates a configuration; every duration not given is derived from `leaseTTL` and `heartbeatInterval`.
    /// - Parameters:
    ///   - nodeId: This node's identifier.
    ///   - leaseTTL: The lease time to live (the bucket's max age). Default 10 s.
    ///   - heartbeatInterval: The renewal period. Default 3 s.
    ///   - safetyMargin: Default `max(TTL/10, min(200 ms, TTL/5))`.
    public init(
        nodeId: String,
        leaseTTL: Duration = .seconds(10),
        heartbeatInterval: Duration = .seconds(3),
        safetyMargin: Duration? = nil
    ) {
        self.nodeId = nodeId
        self.leaseTTL = leaseTTL
        self.heartbeatInterval = heartbeatInterval
        self.safetyMargin = safetyMargin ?? max(leaseTTL / 10, min(.milliseconds(200), leaseTTL / 5))
        self.renewRetryInterval = min(heartbeatInterval / 4, .milliseconds(250))
        self.acquireRetryInterval = min(leaseTTL / 20, .milliseconds(50))
        self.expiryRetryWindow = max(leaseTTL / 2, .seconds(1))
        self.safetyNetInterval = leaseTTL
        self.cooldown = leaseTTL
        self.cooldownYield = min(leaseTTL / 2, .seconds(1))
    }

    /// Checks every rule; the first violation is thrown.
    /// - Throws: ``ElectionConfigError`` naming the field and the rule it breaks.
    public func validate() throws(ElectionConfigError) {
        try Self.check(isValidNodeId(nodeId), .invalidNodeId, "nodeId \"\(nodeId)\" must be 1-64 characters of A-Z a-z 0-9 - _")
        try Self.check(leaseTTL >= .milliseconds(100), .leaseTTLTooShort, "leaseTTL \(leaseTTL) is below the 100 ms NATS minimum max age")
        try Self.check(heartbeatInterval > .zero, .nonPositiveDuration, "heartbeatInterval must be positive")
        try Self.check(
            safetyMargin > .zero && safetyMargin < leaseTTL / 2, .safetyMarginOutOfRange,
            "safetyMargin \(safetyMargin) must be positive and below half the leaseTTL \(leaseTTL)")
        try Self.check(
            heartbeatInterval * 2 <= leaseTTL - safetyMargin, .heartbeatTooSlow,
            "heartbeatInterval \(heartbeatInterval) leaves no room for 2 renewals inside leaseTTL - safetyMargin = \(leaseTTL - safetyMargin)")
        for (name, value) in namedRetryDurations where value <= .zero {
            throw ElectionConfigError(code: .nonPositiveDuration, message: "\(name) must be positive")
        }
        try Self.check(cooldown >= .zero, .nonPositiveDuration, "cooldown must not be negative")
    }

    private var namedRetryDurations: [(String, Duration)] {
        [
            ("renewRetryInterval", renewRetryInterval), ("acquireRetryInterval", acquireRetryInterval),
            ("expiryRetryWindow", expiryRetryWindow), ("safetyNetInterval", safetyNetInterval),
            ("cooldownYield", cooldownYield),
        ]
    }

    private static func check(
        _ condition: Bool, _ code: ElectionConfigError.Code, _ message: @autoclosure () -> String
    ) throws(ElectionConfigError) {
        if !condition { throw ElectionConfigError(code: code, message: message()) }
    }

    private func isValidNodeId(_ id: String) -> Bool {
        guard !id.isEmpty, id.utf8.count <= 64 else { return false }
        return id.utf8.allSatisfy { byte in
            (byte >= 0x30 && byte <= 0x39) || (byte >= 0x41 && byte <= 0x5A) || (byte >= 0x61 && byte <= 0x7A)
                || byte == 0x2D || byte == 0x5F
        }
    }
}

/// A configuration rule that an ``ElectionConfig`` breaks.
public struct ElectionConfigError: Error, Sendable, Equatable, CustomStringConvertible {
    /// The rule broken.
    public enum Code: Sendable, Equatable {
        /// The node id is empty, too long or not usable as a KV key token.
        case invalidNodeId
        /// The lease TTL is below the NATS minimum max age (100 ms).
        case leaseTTLTooShort
        /// A duration that must be positive is not.
        case nonPositiveDuration
        /// The safety margin is not positive or not below half the TTL.
        case safetyMarginOutOfRange
        /// Fewer than two renewals fit inside TTL minus the safety margin.
        case heartbeatTooSlow
    }

    /// The rule broken.
    public var code: Code
    /// What is wrong, with the offending values.
    public var message: String

    public var description: String { "invalid election configuration: \(message)" }
}
