// Owners of netlink sockets and the request/reply transport.
import Synchronization
import SystemPackage
@_exported import VIPWire

/// An `AF_NETLINK`/`NETLINK_ROUTE` socket opened through libmnl, in the calling thread's network namespace.
/// Closed when the owner goes away.
struct NetlinkSocket: ~Copyable {
    private let handle: OpaquePointer
    /// The port id the kernel assigned (`mnl_socket_get_portid`).
    let portID: UInt32
    private var buffer: [UInt8]

    /// Opens and binds a route socket with extended acks and capped acks.
    /// - Parameter groups: Multicast groups to join (monitoring); empty for request sockets.
    init(groups: RouteMulticastGroups = [], bufferSize: Int = 65536) throws(Errno) {
        let nl = try Sys.mnlOpenRoute()
        do {
            try Sys.mnlEnable(nl, option: Sys.extendedAckOption)
            try Sys.mnlEnable(nl, option: Sys.cappedAckOption)
            try Sys.mnlBind(nl, groups: groups.rawValue)
        } catch {
            Sys.mnlClose(nl)
            throw error
        }
        handle = nl
        portID = Sys.mnlPortID(nl)
        buffer = [UInt8](repeating: 0, count: bufferSize)
    }

    deinit { Sys.mnlClose(handle) }

    /// The descriptor, for `poll` and socket options only; it stays owned by this socket.
    var descriptor: FileDescriptor { Sys.mnlDescriptor(handle) }

    /// Sends one encoded message (`mnl_socket_sendto`).
    func send(_ message: NetlinkMessage) throws(Errno) { try Sys.mnlSend(handle, message.encoded()) }

    /// Receives one datagram and splits it into messages.
    mutating func receive() throws(NetlinkError) -> [NetlinkMessage] {
        let count: Int
        do {
            count = try Sys.mnlReceive(handle, into: &buffer)
        } catch {
            throw NetlinkError(operation: .transport, errno: error.rawValue)
        }
        do {
            return try NetlinkMessage.decode(buffer[0..<count])
        } catch {
            throw NetlinkError(operation: .transport, protocolViolation: error.reason)
        }
    }

    /// Sets the kernel receive buffer (`SO_RCVBUFFORCE`, else `SO_RCVBUF`).
    func setReceiveBuffer(bytes: Int) throws(Errno) { try Sys.setReceiveBuffer(descriptor, bytes: bytes) }
}

/// Sends one netlink request and returns its data replies, with acknowledgements and errors checked.
///
/// The real one is `NetlinkSocketTransport`; tests pass a fake that answers at the message level.
public protocol NetlinkTransport: Sendable {
    /// Sends `request` (its sequence number is assigned by the transport) and collects the replies.
    /// - Throws: `NetlinkError` for kernel errors (mapped from errno and extended ack) or transport failures.
    func execute(_ request: NetlinkMessage, operation: NetlinkError.Operation) throws(NetlinkError) -> [NetlinkMessage]
}

/// The kernel transport: one libmnl route socket, one request at a time.
public final class NetlinkSocketTransport: NetlinkTransport {
    private struct State: ~Copyable {
        var socket: NetlinkSocket
        var sequence: UInt32
    }

    private let state: Mutex<State>

    /// Opens a route socket in the calling thread's network namespace.
    /// - Throws: `NetlinkError` (operation `.transport`) when the socket cannot be opened.
    public init() throws(NetlinkError) {
        do {
            let socket = try NetlinkSocket()
            state = Mutex(State(socket: socket, sequence: UInt32.random(in: 1...1_000_000)))
        } catch {
            throw NetlinkError(operation: .transport, errno: error.rawValue)
        }
    }

    public func execute(
        _ request: NetlinkMessage,
        operation: NetlinkError.Operation
    ) throws(NetlinkError) -> [NetlinkMessage] {
        try state.withLock { (state: inout State) throws(NetlinkError) -> [NetlinkMessage] in
            state.sequence &+= 1
            var message = request
            message.header.sequence = state.sequence
            var collector = NetlinkReplyCollector(request: message, portID: state.socket.portID, operation: operation)
            do throws(Errno) {
                try state.socket.send(message)
            } catch {
                throw NetlinkError(operation: operation, errno: error.rawValue)
            }
            while true {
                for reply in try state.socket.receive() where try collector.receive(reply) {
                    return collector.messages
                }
            }
        }
    }
}

extension NetlinkError {
    /// The errno as swift-system's `Errno` (`nil` for protocol violations).
    public var systemErrno: Errno? { errno == 0 ? nil : Errno(rawValue: errno) }
}
