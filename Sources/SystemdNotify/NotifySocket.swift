// The syscall funnel of SystemdNotify: the socket address, the datagram send, the clock and the pid. Nothing
// else in this module imports Glibc.
import Glibc

/// The address of the notification socket: a filesystem path, or an abstract name (`@` in NOTIFY_SOCKET).
struct NotifySocketAddress: Equatable, Sendable {
    /// The bytes of `sun_path`, with the leading NUL for an abstract name and no trailing NUL.
    let pathBytes: [UInt8]

    /// Parses a NOTIFY_SOCKET value: an absolute path or `@name` (abstract namespace).
    init(parsing value: String) throws(SystemdNotifyError) {
        var bytes = Array(value.utf8)
        guard let first = bytes.first else {
            throw .badSocket(value, "expected an absolute path or @name, got nothing")
        }
        switch first {
        case UInt8(ascii: "/"): break
        case UInt8(ascii: "@"):
            guard bytes.count > 1 else { throw .badSocket(value, "expected a name after '@'") }
            bytes[0] = 0
        default: throw .badSocket(value, "expected an absolute path or @name (vsock is not supported)")
        }
        let capacity = MemoryLayout.size(ofValue: sockaddr_un().sun_path)
        guard bytes.count < capacity else {
            throw .badSocket(value, "expected at most \(capacity - 1) bytes, got \(bytes.count)")
        }
        if first == UInt8(ascii: "/"), bytes.contains(0) { throw .badSocket(value, "expected no NUL byte in a path") }
        pathBytes = bytes
    }

    /// Calls `body` with a filled `sockaddr_un` and its length (`offsetof(sun_path)` + the name, plus the
    /// trailing NUL for a path; none for an abstract name, as systemd does).
    func withSockaddr<R>(_ body: (UnsafePointer<sockaddr>, socklen_t) -> R) -> R {
        var address = sockaddr_un()
        address.sun_family = sa_family_t(AF_UNIX)
        withUnsafeMutableBytes(of: &address.sun_path) { raw in
            raw.copyBytes(from: pathBytes)
        }
        let isAbstract = pathBytes.first == 0
        let length = MemoryLayout<sockaddr_un>.offset(of: \.sun_path)! + pathBytes.count + (isAbstract ? 0 : 1)
        return withUnsafePointer(to: &address) { pointer in
            pointer.withMemoryRebound(to: sockaddr.self, capacity: 1) { body($0, socklen_t(length)) }
        }
    }
}

enum NotifySys {
    /// `socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC)`, `sendto(…, MSG_NOSIGNAL)`, `close`. Returns 0 or an errno
    /// together with the name of the failing call. The send does not wait for the receiver beyond a full queue.
    static func sendDatagram(_ payload: [UInt8], to address: NotifySocketAddress) -> (call: String, errno: Int32)? {
        let fd = socket(AF_UNIX, Int32(SOCK_DGRAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0)
        guard fd >= 0 else { return ("socket", errno) }
        defer { close(fd) }
        while true {
            let sent = payload.withUnsafeBytes { bytes in
                address.withSockaddr { sendto(fd, bytes.baseAddress, bytes.count, Int32(MSG_NOSIGNAL), $0, $1) }
            }
            if sent >= 0 {
                return sent == payload.count ? nil : ("sendto (short write)", EMSGSIZE)
            }
            if errno != EINTR { return ("sendto", errno) }
        }
    }

    /// `clock_gettime(CLOCK_MONOTONIC)` in microseconds, as sd_notify's MONOTONIC_USEC wants.
    static func monotonicMicroseconds() -> UInt64 {
        var now = timespec()
        clock_gettime(CLOCK_MONOTONIC, &now)
        return UInt64(now.tv_sec) * 1_000_000 + UInt64(now.tv_nsec) / 1_000
    }

    /// `getpid()`.
    static func processID() -> Int32 { getpid() }

    /// `getenv(name)`.
    static func environment(_ name: String) -> String? {
        getenv(name).map { String(cString: $0) }
    }
}

/// `strerror(code)` as a Swift string.
func errnoText(_ code: Int32) -> String {
    String(cString: strerror(code))
}
