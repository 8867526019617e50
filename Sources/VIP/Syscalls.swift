// The syscall funnel of the VIP module: every libc and libmnl call lives here, in short wrappers that
// retry EINTR, throw `Errno` on failure and trap on EBADF/EFAULT (programming errors). Nothing else in
// this module imports Glibc or CLibMnl. (NIO `System.swift`, swift-system `Syscalls.swift`.)
import CLibMnl
import Glibc
import SystemPackage

/// Runs `body` until it does not fail with EINTR; -1 becomes a thrown `Errno`.
@inline(__always)
func valueOrErrno<T: FixedWidthInteger>(_ body: () -> T) throws(Errno) -> T {
    while true {
        let result = body()
        if result != -1 { return result }
        let error = Errno(rawValue: Glibc.errno)
        switch error {
        case .interrupted: continue
        case .badFileDescriptor, .badAddress: preconditionFailure("VIP syscall misuse: \(error)")
        default: throw error
        }
    }
}

enum Sys {
    // MARK: libmnl netlink sockets

    /// `NETLINK_EXT_ACK`: errors carry the kernel's message and the offending attribute's offset.
    static let extendedAckOption = SC_NETLINK_EXT_ACK
    /// `NETLINK_CAP_ACK`: error replies do not echo the whole request.
    static let cappedAckOption = SC_NETLINK_CAP_ACK

    /// `mnl_socket_open(NETLINK_ROUTE)`.
    static func mnlOpenRoute() throws(Errno) -> OpaquePointer {
        guard let nl = mnl_socket_open2(SC_NETLINK_ROUTE, Int32(SOCK_CLOEXEC.rawValue)) else {
            throw Errno(rawValue: Glibc.errno)
        }
        return nl
    }

    /// `mnl_socket_bind(nl, groups, MNL_SOCKET_AUTOPID)`.
    static func mnlBind(_ nl: OpaquePointer, groups: UInt32) throws(Errno) {
        _ = try valueOrErrno { mnl_socket_bind(nl, groups, pid_t(bitPattern: SC_MNL_SOCKET_AUTOPID)) }
    }

    /// `mnl_socket_get_portid(nl)`.
    static func mnlPortID(_ nl: OpaquePointer) -> UInt32 { mnl_socket_get_portid(nl) }

    /// `mnl_socket_get_fd(nl)`.
    static func mnlDescriptor(_ nl: OpaquePointer) -> FileDescriptor { FileDescriptor(rawValue: mnl_socket_get_fd(nl)) }

    /// `mnl_socket_setsockopt(nl, option, &1)` at `SOL_NETLINK`.
    static func mnlEnable(_ nl: OpaquePointer, option: CInt) throws(Errno) {
        var one: CInt = 1
        _ = try valueOrErrno { mnl_socket_setsockopt(nl, option, &one, socklen_t(MemoryLayout<CInt>.size)) }
    }

    /// `mnl_socket_sendto(nl, bytes)`.
    static func mnlSend(_ nl: OpaquePointer, _ bytes: [UInt8]) throws(Errno) {
        _ = try valueOrErrno { bytes.withUnsafeBytes { mnl_socket_sendto(nl, $0.baseAddress, $0.count) } }
    }

    /// `mnl_socket_recvfrom(nl, buffer)`; ENOBUFS means the kernel dropped multicast messages.
    static func mnlReceive(_ nl: OpaquePointer, into buffer: inout [UInt8]) throws(Errno) -> Int {
        try valueOrErrno { buffer.withUnsafeMutableBytes { mnl_socket_recvfrom(nl, $0.baseAddress, $0.count) } }
    }

    /// `mnl_socket_close(nl)`.
    static func mnlClose(_ nl: OpaquePointer) { _ = mnl_socket_close(nl) }

    /// `setsockopt(SO_RCVBUFFORCE)`, falling back to `SO_RCVBUF` without `CAP_NET_ADMIN`.
    static func setReceiveBuffer(_ fd: FileDescriptor, bytes: Int) throws(Errno) {
        if (try? valueOrErrno({ sc_set_receive_buffer(fd.rawValue, CInt(bytes), 1) })) != nil { return }
        _ = try valueOrErrno { sc_set_receive_buffer(fd.rawValue, CInt(bytes), 0) }
    }

    // MARK: Descriptors, polling, threads

    /// `poll(2)` on read readiness; returns which descriptors are readable (or in error).
    static func pollReadable(_ fds: [FileDescriptor], timeoutMilliseconds: CInt) throws(Errno) -> [Bool] {
        var pfds = fds.map { pollfd(fd: $0.rawValue, events: Int16(POLLIN), revents: 0) }
        _ = try valueOrErrno { poll(&pfds, nfds_t(pfds.count), timeoutMilliseconds) }
        return pfds.map { $0.revents != 0 }
    }

    /// `pipe2(O_CLOEXEC | O_NONBLOCK)`.
    static func pipe() throws(Errno) -> (read: FileDescriptor, write: FileDescriptor) {
        var fds: [CInt] = [-1, -1]
        _ = try valueOrErrno { sc_pipe_cloexec_nonblock(&fds) }
        return (FileDescriptor(rawValue: fds[0]), FileDescriptor(rawValue: fds[1]))
    }

    /// `write(fd, [1])`, ignoring EAGAIN (a wake-up byte is already pending).
    static func wake(_ fd: FileDescriptor) {
        var byte: UInt8 = 1
        _ = try? valueOrErrno { write(fd.rawValue, &byte, 1) }
    }

    /// `close(2)`.
    static func close(_ fd: FileDescriptor) { _ = Glibc.close(fd.rawValue) }

    /// `pthread_create` + `pthread_detach`: runs `body` on a new OS thread.
    static func spawnThread(_ body: @escaping @Sendable () -> Void) throws(Errno) {
        pthread_detach(try createThread(body))
    }

    /// `pthread_create` + `pthread_join`: runs `body` on a fresh OS thread and waits for it.
    static func runOnFreshThread(_ body: @escaping @Sendable () -> Void) throws(Errno) {
        pthread_join(try createThread(body), nil)
    }

    /// `pthread_create` running `body`; the caller detaches or joins the returned thread.
    private static func createThread(_ body: @escaping @Sendable () -> Void) throws(Errno) -> pthread_t {
        let box = Unmanaged.passRetained(ThreadBody(body)).toOpaque()
        var thread = pthread_t()
        let rc = pthread_create(
            &thread,
            nil,
            { ctx in
                let body = Unmanaged<ThreadBody>.fromOpaque(ctx!).takeRetainedValue()
                body.run()
                return nil
            },
            box
        )
        guard rc == 0 else {
            Unmanaged<ThreadBody>.fromOpaque(box).release()
            throw Errno(rawValue: rc)
        }
        return thread
    }

    // MARK: Network namespaces

    /// `open(path, O_RDONLY | O_CLOEXEC)` of a namespace file such as `/run/netns/NAME` or `/proc/self/ns/net`.
    static func openNamespace(_ path: String) throws(Errno) -> FileDescriptor {
        FileDescriptor(rawValue: try valueOrErrno { Glibc.open(path, O_RDONLY | O_CLOEXEC) })
    }

    /// `setns(fd, CLONE_NEWNET)` for the calling thread.
    static func enterNetworkNamespace(_ fd: FileDescriptor) throws(Errno) {
        _ = try valueOrErrno { sc_setns_net(fd.rawValue) }
    }

    // MARK: AF_PACKET

    /// `socket(AF_PACKET, SOCK_RAW, htons(protocol))`.
    static func packetSocket(ethertype: UInt16) throws(Errno) -> FileDescriptor {
        FileDescriptor(rawValue: try valueOrErrno { sc_packet_socket(ethertype) })
    }

    /// Attaches a drop-all classic BPF filter (send-only socket).
    static func attachDropAllFilter(_ fd: FileDescriptor) throws(Errno) {
        _ = try valueOrErrno { sc_attach_drop_all_filter(fd.rawValue) }
    }

    /// `bind(2)` of a packet socket to an interface and ethertype.
    static func packetBind(_ fd: FileDescriptor, interface: UInt32, ethertype: UInt16) throws(Errno) {
        _ = try valueOrErrno { sc_packet_bind(fd.rawValue, CInt(bitPattern: interface), ethertype) }
    }

    /// `sendto(2)` of a whole Ethernet frame out of `interface`.
    static func packetSend(_ fd: FileDescriptor, frame: [UInt8], interface: UInt32) throws(Errno) {
        _ = try valueOrErrno {
            frame.withUnsafeBytes {
                sc_packet_sendto(fd.rawValue, $0.baseAddress, $0.count, CInt(bitPattern: interface))
            }
        }
    }

    /// `recv(2)` into `buffer`; returns the byte count.
    static func receive(_ fd: FileDescriptor, into buffer: inout [UInt8]) throws(Errno) -> Int {
        try valueOrErrno { buffer.withUnsafeMutableBytes { recv(fd.rawValue, $0.baseAddress, $0.count, 0) } }
    }
}

private final class ThreadBody: Sendable {
    let run: @Sendable () -> Void
    init(_ run: @escaping @Sendable () -> Void) { self.run = run }
}
