// AF_PACKET sockets: a send-only announcer socket and a receive socket for one ethertype.
import Synchronization
import SystemPackage

/// A send-only `AF_PACKET` raw socket (protocol 0 and a drop-all BPF filter, so it never queues input).
/// Created in the calling thread's network namespace; closed on deinit.
public final class PacketSender: Sendable {
    private let descriptor: FileDescriptor

    /// Opens the socket. Needs `CAP_NET_RAW`.
    /// - Throws: `AnnouncementError` with the errno when the socket cannot be opened.
    public init() throws(AnnouncementError) {
        do {
            descriptor = try Sys.packetSocket(ethertype: 0)
        } catch {
            throw AnnouncementError(operation: "open AF_PACKET socket", errno: error.rawValue)
        }
        do {
            try Sys.attachDropAllFilter(descriptor)
        } catch {
            Sys.close(descriptor)
            throw AnnouncementError(operation: "attach drop-all filter", errno: error.rawValue)
        }
    }

    deinit { Sys.close(descriptor) }

    /// Sends one complete Ethernet frame out of `interface` (`sendto` with a `sockaddr_ll`).
    /// - Throws: `AnnouncementError` (e.g. ENETDOWN when the link is down, ENXIO when it is gone).
    public func send(_ frame: [UInt8], on interface: InterfaceIndex) throws(AnnouncementError) {
        do {
            try Sys.packetSend(descriptor, frame: frame, interface: interface.rawValue)
        } catch {
            throw AnnouncementError(operation: "send frame on \(interface)", errno: error.rawValue)
        }
    }
}

/// A receiving `AF_PACKET` socket bound to one interface and ethertype: it observes announcements on the
/// wire (tests use it from a peer namespace; the agent can use it to spot another holder of the VIP).
public final class PacketListener: Sendable {
    private let descriptor: FileDescriptor

    /// Opens and binds the socket in the calling thread's network namespace. Needs `CAP_NET_RAW`.
    /// - Parameters:
    ///   - interface: The interface to listen on.
    ///   - ethertype: `EtherType.arp` or `EtherType.ipv6`.
    public init(interface: InterfaceIndex, ethertype: UInt16) throws(AnnouncementError) {
        do {
            descriptor = try Sys.packetSocket(ethertype: ethertype)
        } catch {
            throw AnnouncementError(operation: "open AF_PACKET listener", errno: error.rawValue)
        }
        do {
            try Sys.packetBind(descriptor, interface: interface.rawValue, ethertype: ethertype)
        } catch {
            Sys.close(descriptor)
            throw AnnouncementError(operation: "bind AF_PACKET listener", errno: error.rawValue)
        }
    }

    deinit { Sys.close(descriptor) }

    /// Waits up to `timeout` for the next frame whose bytes satisfy `matching`.
    /// - Returns: The frame (from the Ethernet header on), or `nil` on timeout.
    public func next(timeout: Duration, matching: (([UInt8]) -> Bool)? = nil) throws(AnnouncementError) -> [UInt8]? {
        let deadline = ContinuousClock.now + timeout
        var buffer = [UInt8](repeating: 0, count: 2048)
        while true {
            let left = ContinuousClock.now.duration(to: deadline)
            if left <= .zero { return nil }
            let ms = CInt(max(1, left.components.seconds * 1000 + left.components.attoseconds / 1_000_000_000_000_000))
            do {
                guard try Sys.pollReadable([descriptor], timeoutMilliseconds: ms)[0] else { continue }
                let n = try Sys.receive(descriptor, into: &buffer)
                let frame = Array(buffer[0..<n])
                if matching?(frame) ?? true { return frame }
            } catch {
                throw AnnouncementError(operation: "receive frame", errno: error.rawValue)
            }
        }
    }
}

/// A failure to open a packet socket or put an announcement on the wire.
public struct AnnouncementError: Error, Hashable, Sendable, CustomStringConvertible {
    /// What was being done.
    public var operation: String
    /// The errno (positive).
    public var errno: Int32

    public init(operation: String, errno: Int32) {
        self.operation = operation
        self.errno = errno
    }

    public var description: String {
        let hint = (errno == 1 || errno == 13) ? " (CAP_NET_RAW missing?)" : ""
        return "announcement: \(operation) failed: \(Errno(rawValue: errno))\(hint)"
    }
}

/// Runs `body` on a fresh OS thread that has entered the network namespace `name` (`/run/netns/NAME`,
/// as `ip netns exec` would). Sockets created inside stay in that namespace after the thread ends.
/// The calling thread's namespace is never changed.
/// - Throws: `NamespaceError` when the namespace cannot be entered, or whatever `body` throws.
public func withNetworkNamespace<T: Sendable>(
    _ name: String,
    _ body: @escaping @Sendable () throws -> T
) throws -> T {
    let result = Mutex<Result<T, any Error>?>(nil)
    let path = name.hasPrefix("/") ? name : "/run/netns/\(name)"
    try Sys.runOnFreshThread {
        do {
            let fd = try Sys.openNamespace(path)
            defer { Sys.close(fd) }
            try Sys.enterNetworkNamespace(fd)
            let value = try body()
            result.withLock { $0 = .success(value) }
        } catch {
            result.withLock { $0 = .failure(error) }
        }
    }
    guard let r = result.withLock({ $0 }) else { throw Errno.ioError }
    return try r.get()
}
