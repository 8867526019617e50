import Synchronization
import Testing
import VIP
import VIPTestSupport

/// Builds a two-namespace network `a <-v0/v1-> b`, runs `body`, and always removes it.
func withPair<T>(_ body: (TestNetwork) throws -> T) throws -> T {
    let net = try TestNetwork(roles: ["a", "b"], links: [("a", "v0", "b", "v1")])
    defer { net.remove() }
    return try body(net)
}

/// Async variant of `withPair`.
func withPairAsync<T>(_ body: (TestNetwork) async throws -> T) async throws -> T {
    let net = try TestNetwork(roles: ["a", "b"], links: [("a", "v0", "b", "v1")])
    defer { net.remove() }
    return try await body(net)
}

/// A message-level fake of the kernel: answers each request with scripted replies.
final class FakeTransport: NetlinkTransport {
    let handler: @Sendable (NetlinkMessage) -> [NetlinkMessage]
    let requests = Mutex<[NetlinkMessage]>([])

    init(_ handler: @escaping @Sendable (NetlinkMessage) -> [NetlinkMessage]) { self.handler = handler }

    func execute(_ request: NetlinkMessage, operation: NetlinkError.Operation) throws(NetlinkError) -> [NetlinkMessage]
    {
        var message = request
        message.header.sequence = 7
        requests.withLock { $0.append(message) }
        var collector = NetlinkReplyCollector(request: message, portID: 0, operation: operation)
        for reply in handler(message) where try collector.receive(reply) { return collector.messages }
        throw NetlinkError(operation: operation, protocolViolation: "fake: exchange incomplete")
    }

    static func ack(_ request: NetlinkMessage) -> NetlinkMessage { error(request, errno: 0) }

    /// An `NLMSG_ERROR` reply, capped, with an optional extended-ack message.
    static func error(_ request: NetlinkMessage, errno: Int32, extack: String? = nil) -> NetlinkMessage {
        var payload: [UInt8] = []
        withUnsafeBytes(of: -errno) { payload += $0 }
        payload += Array(request.encoded().prefix(16))
        var flags: NetlinkHeaderFlags = [.capped]
        if let extack {
            flags.insert(.ackTLVs)
            var attrs = AttributeWriter()
            attrs.append(type: 1, string: extack)
            payload += attrs.bytes
        }
        return NetlinkMessage(
            header: .init(type: .error, flags: flags, sequence: request.header.sequence),
            payload: payload
        )
    }

    static func done(_ request: NetlinkMessage, flags: NetlinkHeaderFlags = [.multi]) -> NetlinkMessage {
        NetlinkMessage(
            header: .init(type: .done, flags: flags, sequence: request.header.sequence),
            payload: [0, 0, 0, 0]
        )
    }

    static func data(_ request: NetlinkMessage, type: NetlinkMessageType, payload: [UInt8]) -> NetlinkMessage {
        NetlinkMessage(header: .init(type: type, flags: [.multi], sequence: request.header.sequence), payload: payload)
    }
}

/// Collects the events of a monitor in the background.
final class EventLog: Sendable {
    let events = Mutex<[NetworkEvent]>([])
    func append(_ e: NetworkEvent) { events.withLock { $0.append(e) } }
    var snapshot: [NetworkEvent] { events.withLock { $0 } }
}

let vip4 = IPv4Address("198.18.0.100")!
let vip6 = IPv6Address("2001:db8:18::100")!
