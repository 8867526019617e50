import Foundation
import NATSClient

/// go-cluster's high-level API: one node of a cluster, joined, queried and steered as a whole.
///
/// ```swift
/// let manager = try Manager(config: try ClusterConfig.load(fromFile: "/etc/swift-cluster/cluster.json"), hooks: myHooks)
/// try await manager.runDaemon()      // until the task is cancelled, then hands over gracefully
/// ```
///
/// The waits (``join(connection:timeout:)``, ``promote(timeout:)``) are driven by the node's hook events,
/// not by polling: they return once the node's state says so and the application's hook for that change
/// has run. VIP handling is the application's: the `swift-cluster` agent passes hooks that add and remove
/// its addresses.
public actor Manager {
    /// The node this manager runs.
    public nonisolated let node: Node
    var joined = false

    /// Creates a manager for a node built from `options`; `leadershipGuard` is called in step with the lease
    /// (see ``LeadershipGuard``).
    /// - Throws: ``ElectionConfigError`` for invalid timing.
    public init(
        options: NodeOptions, hooks: any ClusterHooks = NoHooks(), leadershipGuard: (any LeadershipGuard)? = nil
    ) throws {
        node = try Node(options: options, hooks: hooks, leadershipGuard: leadershipGuard)
    }

    /// Creates a manager from a loaded configuration (`ClusterConfig.load`).
    /// - Throws: ``ElectionConfigError`` for invalid timing.
    public init(
        config: ClusterConfig, hooks: any ClusterHooks = NoHooks(), log: @escaping @Sendable (String) -> Void = { _ in }
    ) throws {
        try self.init(options: NodeOptions(config: config, log: log), hooks: hooks)
    }

    var ttl: Duration { node.options.election.leaseTTL }

    /// Joins the cluster: connects, starts the node and waits until the election has settled for it: it
    /// knows who leads (possibly itself, when the lease was free), or that nobody does while it may not
    /// contend.
    /// - Parameters:
    ///   - connection: A connection to use instead of the configured servers (not closed by the node).
    ///   - timeout: How long to wait for the lease's state (default: the lease TTL).
    /// - Returns: The node's status once the cluster state is known.
    /// - Throws: What ``Node/start(connection:)`` throws; ``ManagerError/timeout(_:)`` if the lease could
    ///   not be read in time (the node keeps running and trying; call ``leave()`` to stop it).
    @discardableResult
    public func join(connection: NATSConnection? = nil, timeout: Duration? = nil) async throws -> NodeStatus {
        if !joined {
            try await node.start(connection: connection)
            joined = true
        }
        let node = self.node
        guard await node.changes.wait(for: timeout ?? ttl, until: { await node.electionSettled }) else {
            throw ManagerError.timeout("the lease's state was not learned within \(timeout ?? ttl)")
        }
        return await node.status
    }

    /// Leaves the cluster gracefully: a leader hands over first (its lease deleted with a CAS on its own
    /// revision, so another node takes over in milliseconds), then the node stops.
    public func leave() async {
        await node.stop()
        joined = false
        node.changes.notify()
    }

    /// The node's current status (what its `status` endpoint answers).
    public func status() async -> NodeStatus { await node.status }

    /// Makes this node the leader: if another node leads, asks it to transfer the lease here (a CAS update
    /// naming this node, no gap); if nobody does, contends at once. Cancels this node's stepdown cooldown.
    /// - Parameter timeout: How long to wait for the leadership (default: twice the lease TTL).
    /// - Throws: ``ManagerError`` if not joined, not eligible, refused by the leader, or not leader in time.
    public func promote(timeout: Duration? = nil) async throws {
        guard joined else { throw ManagerError.notJoined }
        try await node.promote(timeout: timeout)
    }

    /// Steps down if this node leads (graceful: cooldown marker, CAS delete of its own lease).
    /// - Throws: ``NodeError`` "not leader".
    public func demote() async throws {
        try await node.stepDown()
    }

    /// Runs the node until the calling task is cancelled, then leaves gracefully.
    /// - Parameter connection: A connection to use instead of the configured servers.
    /// - Throws: What ``join(connection:timeout:)`` throws while starting (a slow first read is not an
    ///   error here: the node keeps trying).
    public func runDaemon(connection: NATSConnection? = nil) async throws {
        do {
            try await join(connection: connection)
        } catch ManagerError.timeout {
            // Running but without a lease view yet: keep going, the node retries on its own.
        }
        while !Task.isCancelled {
            try? await Task.sleep(for: .seconds(3600))
        }
        await leave()
    }
}

/// Why a ``Manager`` call failed.
public enum ManagerError: Error, Sendable, Hashable, CustomStringConvertible {
    /// The manager has not joined (or has left).
    case notJoined
    /// A wait ran out.
    case timeout(String)
    /// The cluster or this node refused.
    case refused(String)

    public var description: String {
        switch self {
        case .notJoined: "not joined"
        case .timeout(let text): "timeout: \(text)"
        case .refused(let text): text
        }
    }
}
