import Foundation
import NATSClient
import NATSMicro

/// The micro service `cluster_<clusterId>` of one node, as go-cluster's: `status.<nid>`, `ping.<nid>`,
/// `control.<nid>.stepdown` and `control.<nid>.transfer` (request `{"target": "<nodeId>"}`), plus
/// `control.<nid>.promote` (this node asks the leader for the lease and answers once it leads).
///
/// Malformed request payloads get an error reply (`Nats-Service-Error` headers and a JSON body
/// `{"ok": false, "error": ...}`), never a crash.
enum NodeService {
    /// Starts the service and its four endpoints on `connection`.
    static func start(for node: Node, options: NodeOptions, connection: NATSConnection) async throws -> Service {
        let config = ServiceConfig(
            name: options.service, version: options.serviceVersion,
            description: "swift-cluster node \(options.nodeId)", metadata: ["node_id": options.nodeId],
            queueGroup: "")
        let service = try await Service.start(config, on: connection)
        do {
            try await service.addEndpoint("status", subject: options.statusSubject) { [weak node] request in
                guard let node else { return }
                try await request.respondJSON(await node.status)
            }
            try await service.addEndpoint("ping", subject: options.pingSubject) { request in
                try await request.respondJSON(PingReply(ok: true, timestamp: rfc3339(Date())))
            }
            try await service.addEndpoint("stepdown", subject: options.stepdownSubject) { [weak node] request in
                guard let node else { return }
                guard request.payload.readableBytes == 0 || isJSONObject(request.data) else {
                    try await respondMalformed(request, "stepdown expects an empty body or a JSON object")
                    return
                }
                do {
                    try await node.stepDown()
                    try await request.respondJSON(ControlReply(ok: true, error: nil))
                } catch {
                    try await request.respondJSON(ControlReply(ok: false, error: "\(error)"))
                }
            }
            try await service.addEndpoint("transfer", subject: options.transferSubject) { [weak node] request in
                guard let node else { return }
                guard let body = try? JSONDecoder().decode(TransferRequest.self, from: request.data) else {
                    try await respondMalformed(request, "transfer expects {\"target\": \"<nodeId>\"}")
                    return
                }
                do {
                    try await node.transfer(to: body.target)
                    try await request.respondJSON(ControlReply(ok: true, error: nil))
                } catch {
                    try await request.respondJSON(ControlReply(ok: false, error: "\(error)"))
                }
            }
            try await service.addEndpoint("promote", subject: options.promoteSubject) { [weak node] request in
                guard let node else { return }
                guard request.payload.readableBytes == 0 || isJSONObject(request.data) else {
                    try await respondMalformed(request, "promote expects an empty body or a JSON object")
                    return
                }
                do {
                    try await node.promote()
                    try await request.respondJSON(ControlReply(ok: true, error: nil))
                } catch {
                    try await request.respondJSON(ControlReply(ok: false, error: "\(error)"))
                }
            }
        } catch {
            await service.stop()
            throw error
        }
        return service
    }

    static func respondMalformed(_ request: ServiceRequest, _ message: String) async throws {
        let body = (try? JSONEncoder().encode(ControlReply(ok: false, error: message))) ?? Data()
        try await request.respondError(code: 400, description: message, data: ByteBuffer(bytes: body))
    }

    static func isJSONObject(_ data: Data) -> Bool {
        (try? JSONSerialization.jsonObject(with: data)) is [String: Any]
    }
}

/// What `ping.<nid>` answers.
public struct PingReply: Codable, Sendable, Hashable {
    /// Always true.
    public var ok: Bool
    /// The node's wall-clock time, RFC 3339.
    public var timestamp: String
}

/// What the control endpoints answer.
public struct ControlReply: Codable, Sendable, Hashable {
    /// Whether the command was accepted.
    public var ok: Bool
    /// Why not.
    public var error: String?
}

/// The body of a transfer request.
public struct TransferRequest: Codable, Sendable, Hashable {
    /// The node to hand the lease to.
    public var target: String
    /// Creates a request.
    public init(target: String) { self.target = target }
}
