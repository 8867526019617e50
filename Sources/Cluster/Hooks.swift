import Election

/// Callbacks a ``Node`` runs when its view of the cluster changes, as go-cluster's `Hooks`.
///
/// A node calls its hooks one at a time and in the order the events happened, from one task of its own, so
/// a slow hook delays the hooks after it but never the election. Every method has a default that does
/// nothing; implement only those you need. Errors thrown by a hook are reported through the node's log
/// handler and otherwise ignored.
public protocol ClusterHooks: Sendable {
    /// This node became leader under `epoch` (strictly greater than every earlier epoch of the cluster).
    func onBecomeLeader(epoch: UInt64) async throws
    /// This node stopped acting as leader (CAS failure, self-fencing, stepdown, transfer, not eligible).
    func onLoseLeadership() async throws
    /// The lease holder this node knows of changed; `nil` when there is none or the lease is unreadable.
    func onLeaderChange(nodeId: String?, epoch: UInt64?) async throws
    /// The NATS connection was re-established.
    func onNATSReconnect() async throws
    /// The NATS connection was lost (`error` is `nil` when it was closed on purpose).
    func onNATSDisconnect(error: (any Error)?) async throws
}

extension ClusterHooks {
    public func onBecomeLeader(epoch: UInt64) async throws {}
    public func onLoseLeadership() async throws {}
    public func onLeaderChange(nodeId: String?, epoch: UInt64?) async throws {}
    public func onNATSReconnect() async throws {}
    public func onNATSDisconnect(error: (any Error)?) async throws {}
}

/// Hooks that do nothing.
public struct NoHooks: ClusterHooks {
    /// Creates the no-op hooks.
    public init() {}
}

/// One hook invocation, queued in event order.
enum HookCall: Sendable {
    case becameLeader(epoch: UInt64)
    case lostLeadership
    case leaderChanged(nodeId: String?, epoch: UInt64?)
    case reconnected
    case disconnected(String?)

    /// Runs the matching hook.
    func run(on hooks: any ClusterHooks) async throws {
        switch self {
        case .becameLeader(let epoch): try await hooks.onBecomeLeader(epoch: epoch)
        case .lostLeadership: try await hooks.onLoseLeadership()
        case .leaderChanged(let nodeId, let epoch): try await hooks.onLeaderChange(nodeId: nodeId, epoch: epoch)
        case .reconnected: try await hooks.onNATSReconnect()
        case .disconnected(let text): try await hooks.onNATSDisconnect(error: text.map(NodeDisconnect.init))
        }
    }
}

/// The reason a connection was lost, as passed to ``ClusterHooks/onNATSDisconnect(error:)``.
public struct NodeDisconnect: Error, Sendable, CustomStringConvertible {
    /// What the client reported.
    public var description: String
}

/// What must happen in step with the lease itself, not merely after it: holding the VIP.
///
/// Unlike ``ClusterHooks`` (asynchronous, queued, run after the fact), these are called synchronously on the
/// node's actor, in the order the election decides, before anything else happens for that decision: a
/// revocation runs before the lease is released or handed over, and before the hooks hear of it. They must
/// not block: netlink calls (microseconds) are fine, scripts and network waits are not.
public protocol LeadershipGuard: Sendable {
    /// This node became leader; it may act as leader until `validUntil` unless extended.
    func leadershipGranted(epoch: UInt64, validUntil: ContinuousClock.Instant)
    /// A renewal succeeded: the leadership is valid until `validUntil`.
    func leadershipExtended(epoch: UInt64, validUntil: ContinuousClock.Instant)
    /// The leadership ended (stepdown, transfer, CAS failure, self-fencing, not eligible): stop acting as
    /// leader now.
    func leadershipRevoked(reason: LeadershipLossReason)
}
