import Foundation
import JetStream
import NATSClient
import Synchronization

/// A remote client of a cluster's control subjects: what scripts, the CLI and ``Manager/promote(timeout:)``
/// use to ask running nodes for their status or to move leadership. It never joins the election.
///
/// Every call is one NATS request to `cluster_<clusterId>.<endpoint>.<nodeId>`; a node that does not run
/// gives ``ClusterControlError/noResponders`` at once, a stuck one ``ClusterControlError/timeout``.
public struct ClusterControl: Sendable {
    /// The connection requests go out on (not closed by this client).
    public let connection: NATSConnection
    /// The cluster addressed.
    public let clusterId: String
    /// How long to wait for each reply.
    public var timeout: Duration

    /// Creates a client.
    /// - Parameters:
    ///   - connection: An open NATS connection.
    ///   - clusterId: The cluster's id.
    ///   - timeout: The reply timeout of each request.
    public init(connection: NATSConnection, clusterId: String, timeout: Duration = .seconds(2)) {
        self.connection = connection
        self.clusterId = clusterId
        self.timeout = timeout
    }

    var service: String { ClusterConfig.serviceName(clusterId: clusterId) }

    /// `status.<nodeId>`: the node's role, leader, epoch, uptime and connection state.
    public func status(of nodeId: String) async throws(ClusterControlError) -> NodeStatus {
        try await call("\(service).status.\(nodeId)", "", as: NodeStatus.self)
    }

    /// `ping.<nodeId>`: whether the node answers.
    public func ping(_ nodeId: String) async throws(ClusterControlError) -> PingReply {
        try await call("\(service).ping.\(nodeId)", "", as: PingReply.self)
    }

    /// `control.<nodeId>.stepdown`: asks the node to step down.
    /// - Throws: ``ClusterControlError/refused(_:)`` with the node's reason (e.g. "not leader").
    public func stepDown(_ nodeId: String) async throws(ClusterControlError) {
        try Self.check(try await call("\(service).control.\(nodeId).stepdown", "", as: ControlReply.self))
    }

    /// `control.<leader>.transfer`: asks the leader to hand the lease to `target`.
    /// - Throws: ``ClusterControlError/refused(_:)`` with the node's reason (not leader, target not answering).
    public func transfer(from leader: String, to target: String) async throws(ClusterControlError) {
        let body = (try? JSONEncoder().encode(TransferRequest(target: target))) ?? Data()
        try Self.check(
            try await call("\(service).control.\(leader).transfer", String(decoding: body, as: UTF8.self),
                as: ControlReply.self))
    }

    /// The node ids of every running node of the cluster, found through `$SRV.PING.cluster_<clusterId>`
    /// (each node's micro service answers with its `node_id` metadata), sorted.
    /// - Parameter window: How long to collect answers.
    public func discover(window: Duration = .milliseconds(500)) async throws(ClusterControlError) -> [String] {
        let found = Mutex<Set<String>>([])
        let inbox = connection.newInbox()
        let sid: UInt64
        do {
            sid = try connection.subscribe(to: inbox) { message in
                guard let object = try? JSONSerialization.jsonObject(with: message.data) as? [String: Any],
                    let metadata = object["metadata"] as? [String: Any], let nodeId = metadata["node_id"] as? String
                else { return }
                _ = found.withLock { $0.insert(nodeId) }
            }
            try await connection.publish("", to: "$SRV.PING.\(service)", replyTo: inbox)
        } catch {
            throw .transport("$SRV.PING.\(service): \(error)")
        }
        try? await Task.sleep(for: window)
        try? connection.unsubscribe(sid: sid)
        return found.withLock { $0.sorted() }
    }

    /// `control.<nodeId>.promote`: asks the node to take the lease (from the leader, by transfer); answers
    /// once it leads. The reply timeout is at least `wait`.
    public func promote(_ nodeId: String, wait: Duration) async throws(ClusterControlError) {
        var slow = self
        slow.timeout = max(timeout, wait + .seconds(1))
        try Self.check(try await slow.call("\(service).control.\(nodeId).promote", "", as: ControlReply.self))
    }

    static func check(_ reply: ControlReply) throws(ClusterControlError) {
        guard reply.ok else { throw .refused(reply.error ?? "refused without a reason") }
    }

    func call<Reply: Decodable>(_ subject: String, _ body: String, as: Reply.Type) async throws(ClusterControlError)
        -> Reply
    {
        let message: NATSMessage
        do {
            message = try await connection.request(body, to: subject, timeout: timeout)
        } catch let error as NATSError where error.code == .noResponders {
            throw .noResponders(subject)
        } catch let error as NATSError where error.code == .timeout {
            throw .timeout(subject)
        } catch {
            throw .transport("\(subject): \(error)")
        }
        if message.isNoResponders { throw .noResponders(subject) }
        if let reply = try? JSONDecoder().decode(Reply.self, from: message.data) { return reply }
        if let refusal = try? JSONDecoder().decode(ControlReply.self, from: message.data), !refusal.ok {
            throw .refused(refusal.error ?? "error")
        }
        throw .malformedReply(subject, message.string)
    }
}

/// Why a control request failed.
public enum ClusterControlError: Error, Sendable, Hashable, CustomStringConvertible {
    /// Nobody serves the subject: the node is not running (or not in this cluster).
    case noResponders(String)
    /// No reply in time.
    case timeout(String)
    /// The connection failed.
    case transport(String)
    /// The node answered with something that is not the expected JSON.
    case malformedReply(String, String)
    /// The node answered `{"ok": false, "error": reason}`.
    case refused(String)

    public var description: String {
        switch self {
        case .noResponders(let subject): "no node answers on \(subject)"
        case .timeout(let subject): "no reply on \(subject) in time"
        case .transport(let text): "NATS request failed: \(text)"
        case .malformedReply(let subject, let body): "unexpected reply on \(subject): \(body.prefix(200))"
        case .refused(let reason): reason
        }
    }
}
