import Foundation

#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// The only file that touches sockets: tiny blocking helpers for probing servers on 127.0.0.1.
enum Loopback {
    /// Asks the kernel for a currently free TCP port on 127.0.0.1 (bind to port 0, read it, close).
    ///
    /// Inherently racy; used only where a port must be known before a server starts (cluster routes),
    /// and callers retry on ``TestSupportError/Code/portInUse``.
    static func freePort() throws -> Int {
        let fd = try openSocket()
        defer { close(fd) }
        var address = loopbackAddress(port: 0)
        let bound = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                bind(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size))
            }
        }
        guard bound == 0 else { throw TestSupportError(.portInUse, "bind(127.0.0.1:0) failed: errno \(errno)") }
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        let named = withUnsafeMutablePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(fd, $0, &length) }
        }
        guard named == 0 else { throw TestSupportError(.portInUse, "getsockname failed: errno \(errno)") }
        return Int(UInt16(bigEndian: address.sin_port))
    }

    /// Connects to `127.0.0.1:port`, optionally sends `request`, and reads until `complete` says the
    /// bytes so far are enough, EOF, or the timeout.
    /// - Returns: The bytes read, or `nil` if the connection failed.
    static func exchange(
        port: Int,
        request: [UInt8] = [],
        timeout: TimeInterval,
        complete: ([UInt8]) -> Bool
    ) -> [UInt8]? {
        guard let fd = try? openSocket() else { return nil }
        defer { close(fd) }
        var tv = timeval()
        tv.tv_sec = .init(timeout)
        tv.tv_usec = .init((timeout - Double(Int(timeout))) * 1_000_000)
        setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, socklen_t(MemoryLayout<timeval>.size))
        setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, socklen_t(MemoryLayout<timeval>.size))
        var address = loopbackAddress(port: port)
        let connected = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size))
            }
        }
        guard connected == 0 else { return nil }
        if !request.isEmpty {
            let sent = request.withUnsafeBytes { send(fd, $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL)) }
            guard sent == request.count else { return nil }
        }
        var received: [UInt8] = []
        var chunk = [UInt8](repeating: 0, count: 4096)
        while !complete(received) {
            let count = chunk.withUnsafeMutableBytes { recv(fd, $0.baseAddress, $0.count, 0) }
            if count < 0, errno == EINTR { continue }
            guard count > 0 else { break }
            received.append(contentsOf: chunk[0..<count])
        }
        return received
    }

    /// Reads the first line a NATS server sends; `true` if it is an `INFO` line.
    static func natsServerAnswers(port: Int, timeout: TimeInterval = 1) -> Bool {
        guard let bytes = exchange(port: port, timeout: timeout, complete: { $0.contains(UInt8(ascii: "\n")) }) else {
            return false
        }
        return bytes.starts(with: Array("INFO ".utf8))
    }

    /// Performs `GET path` over HTTP/1.0 on 127.0.0.1 and returns the body if the status is 200.
    static func httpGet(port: Int, path: String, timeout: TimeInterval = 2) -> [UInt8]? {
        let request = Array("GET \(path) HTTP/1.0\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n".utf8)
        guard let response = exchange(port: port, request: request, timeout: timeout, complete: { _ in false }),
            response.starts(with: Array("HTTP/1.".utf8)),
            response.count > 12, response[9...11].elementsEqual("200".utf8)
        else { return nil }
        let separator = Array("\r\n\r\n".utf8)
        guard let start = response.indices.first(where: { response[$0...].starts(with: separator) }) else { return nil }
        return Array(response[(start + 4)...])
    }

    static func openSocket() throws -> Int32 {
        #if canImport(Glibc)
            let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        #else
            let fd = socket(AF_INET, SOCK_STREAM, 0)
        #endif
        guard fd >= 0 else { throw TestSupportError(.portInUse, "socket() failed: errno \(errno)") }
        return fd
    }

    static func loopbackAddress(port: Int) -> sockaddr_in {
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = in_port_t(UInt16(port).bigEndian)
        address.sin_addr.s_addr = in_addr_t(UInt32(0x7F00_0001).bigEndian)
        return address
    }

    /// Sends `signal` to `pid`; ignores a process that is already gone.
    static func signal(_ pid: Int32, _ signal: Int32) {
        _ = kill(pid, signal)
    }
}
