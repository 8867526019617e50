import Foundation
import NATSClient

extension Node {
    /// Makes this node the leader: if another node leads, asks it to transfer the lease here (a CAS update
    /// naming this node, no gap); if nobody does, contends at once. Cancels this node's stepdown cooldown.
    /// Returns once this node leads and its `onBecomeLeader` hook has run.
    /// - Parameter timeout: How long to wait for the leadership (default: twice the lease TTL).
    /// - Throws: ``ManagerError`` if not running, not eligible, refused by the leader, or not leader in time.
    public func promote(timeout: Duration? = nil) async throws {
        guard running else { throw ManagerError.notJoined }
        let me = options.nodeId
        let ttl = options.election.leaseTTL
        let wait = timeout ?? ttl * 2
        let deadline = ContinuousClock.now + wait
        var asked: String?
        cancelCooldown()
        while true {
            let seen = changes.version
            if isLeader { return }
            guard isEligible else { throw ManagerError.refused("this node is not eligible") }
            // Ask the leader this node knows of to transfer, once per leader. A "not leader" answer means our
            // view is behind (it just stepped down, say): wait for the next change and look again.
            if let leader, leader != me, leader != asked, let connection = natsConnection {
                let control = ClusterControl(
                    connection: connection, clusterId: options.clusterId, timeout: min(max(ttl, .seconds(1)), .seconds(5)))
                do {
                    try await control.transfer(from: leader, to: me)
                    asked = leader
                } catch .refused(let reason) where reason == NodeError.notLeader.description {
                    asked = nil
                } catch .noResponders {
                    asked = nil  // gone: its lease expires, and this node contends for it
                } catch {
                    throw ManagerError.refused("leader \(leader) did not transfer: \(error)")
                }
            }
            guard await changes.changed(after: seen, before: deadline) else {
                if isLeader { return }
                throw ManagerError.timeout("not leader within \(wait)")
            }
        }
    }
}
