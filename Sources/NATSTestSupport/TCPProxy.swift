import Foundation
import Synchronization

#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// A TCP forwarder on a free 127.0.0.1 port to `127.0.0.1:<upstreamPort>` (a nats-server), that can silence the
/// network like a partition: ``partition()`` stops forwarding in both directions while every connection stays
/// open (bytes are held in the kernel buffers or dropped, never delivered) and black-holes new connections
/// (accepted, never answered); ``heal()`` closes those held connections and forwards new ones again.
///
/// Plain blocking POSIX sockets: one accept thread and one thread per connection, each polling with a short
/// timeout so it notices state changes. ``partition()``, ``heal()`` and ``stop()`` block briefly (until every
/// connection thread has seen the change): call them through `offThread` from async code. Always call
/// ``stop()``: the threads keep the proxy alive until then.
public final class TCPProxy: Sendable {
    /// The proxy's listening port on 127.0.0.1.
    public let port: Int
    /// The forwarded-to port on 127.0.0.1.
    public let upstreamPort: Int
    private let state = Mutex(State())

    private struct State {
        var partitioned = false
        /// Incremented by every ``partition()``; threads acknowledge it by storing it in `seen`.
        var serial = 0
        var heals = 0
        var stopped = false
        var threads = 0
        var seen: [Int: Int] = [:]
        var nextId = 0
        var accepted = 0
    }

    /// Listens on a free loopback port.
    /// - Parameter upstreamPort: The port to forward to.
    /// - Throws: ``TestSupportError`` if the listening socket cannot be set up.
    public init(upstreamPort: Int) throws {
        self.upstreamPort = upstreamPort
        let listener = try Loopback.openSocket()
        var yes: Int32 = 1
        setsockopt(listener, SOL_SOCKET, SO_REUSEADDR, &yes, socklen_t(MemoryLayout<Int32>.size))
        var address = Loopback.loopbackAddress(port: 0)
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        let ready = withUnsafeMutablePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                bind(listener, $0, length) == 0 && listen(listener, 64) == 0 && getsockname(listener, $0, &length) == 0
            }
        }
        guard ready else {
            close(listener)
            throw TestSupportError(.portInUse, "TCPProxy cannot listen on 127.0.0.1: errno \(errno)")
        }
        port = Int(UInt16(bigEndian: address.sin_port))
        state.withLock { $0.threads = 1 }
        Thread.detachNewThread { [self] in acceptLoop(listener) }
    }

    /// `nats://127.0.0.1:<port>`.
    public var url: String { "nats://127.0.0.1:\(port)" }
    /// Whether the proxy is partitioned.
    public var isPartitioned: Bool { state.withLock { $0.partitioned } }
    /// Connections accepted so far (forwarded or black-holed).
    public var acceptedConnections: Int { state.withLock { $0.accepted } }

    /// Silences every connection, existing and new, until ``heal()``. Returns once every connection thread
    /// has seen it (bounded by 2 s), so no byte is forwarded after this returns.
    public func partition() {
        let serial = state.withLock {
            $0.partitioned = true
            $0.serial += 1
            return $0.serial
        }
        waitUntil { state in state.seen.values.allSatisfy { $0 >= serial } }
    }

    /// Forwards new connections again; connections held during the partition are closed (their clients see
    /// the connection drop and reconnect).
    public func heal() {
        state.withLock {
            guard $0.partitioned else { return }
            $0.partitioned = false
            $0.heals += 1
        }
    }

    /// Closes the listener and every connection; returns once all threads have ended (bounded by 2 s).
    /// Idempotent.
    public func stop() {
        state.withLock { $0.stopped = true }
        waitUntil { $0.threads == 0 }
    }

    private func waitUntil(_ condition: (State) -> Bool) {
        let deadline = ContinuousClock.now + .seconds(2)
        while !state.withLock({ condition($0) }), ContinuousClock.now < deadline { usleep(1_000) }
    }

    private func acceptLoop(_ listener: Int32) {
        defer {
            close(listener)
            state.withLock { $0.threads -= 1 }
        }
        while !state.withLock({ $0.stopped }) {
            var poller = pollfd(fd: listener, events: Int16(POLLIN), revents: 0)
            guard poll(&poller, 1, 20) > 0 else { continue }
            let client = accept(listener, nil, nil)
            guard client >= 0 else { continue }
            let (partitioned, id) = state.withLock { state -> (Bool, Int) in
                state.nextId += 1
                state.accepted += 1
                state.threads += 1
                state.seen[state.nextId] = state.serial
                return (state.partitioned, state.nextId)
            }
            let upstream = partitioned ? -1 : Self.connectUpstream(upstreamPort)
            Self.limitSends(client)
            if upstream >= 0 { Self.limitSends(upstream) }
            Thread.detachNewThread { [self] in pump(id: id, client: client, upstream: upstream) }
        }
    }

    private static func connectUpstream(_ port: Int) -> Int32 {
        guard let fd = try? Loopback.openSocket() else { return -1 }
        var address = Loopback.loopbackAddress(port: port)
        let connected = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size))
            }
        }
        guard connected == 0 else {
            close(fd)
            return -1
        }
        return fd
    }

    private enum Verdict { case forward, hold, close }

    /// Checks the proxy state (acknowledging the latest partition) and decides what this connection does.
    private func check(id: Int, heldSince: inout Int?, hasUpstream: Bool) -> Verdict {
        state.withLock { state in
            state.seen[id] = state.serial
            if state.stopped { return .close }
            if state.partitioned {
                if heldSince == nil { heldSince = state.heals }
                return .hold
            }
            if let held = heldSince, held != state.heals { return .close }
            return hasUpstream ? .forward : .close
        }
    }

    /// Moves bytes between `client` and `upstream` (`-1`: a black-holed connection) until either side closes,
    /// a heal ends a hold, or the proxy stops.
    private func pump(id: Int, client: Int32, upstream: Int32) {
        defer {
            close(client)
            if upstream >= 0 { close(upstream) }
            state.withLock {
                $0.seen[id] = nil
                $0.threads -= 1
            }
        }
        var heldSince: Int?
        var buffer = [UInt8](repeating: 0, count: 65536)
        loop: while true {
            switch check(id: id, heldSince: &heldSince, hasUpstream: upstream >= 0) {
            case .close: break loop
            case .hold:
                usleep(5_000)
                continue loop
            case .forward: break
            }
            var pollers = [pollfd(fd: client, events: Int16(POLLIN), revents: 0),
                           pollfd(fd: upstream, events: Int16(POLLIN), revents: 0)]
            guard poll(&pollers, 2, 10) > 0 else { continue }
            for (from, to) in [(0, 1), (1, 0)] where pollers[from].revents != 0 {
                let count = buffer.withUnsafeMutableBytes { recv(pollers[from].fd, $0.baseAddress, $0.count, 0) }
                if count < 0, errno == EINTR || errno == EAGAIN { continue }
                guard count > 0 else { break loop }
                // A partition that began while this thread read drops the bytes.
                guard check(id: id, heldSince: &heldSince, hasUpstream: true) == .forward else { continue loop }
                guard Self.sendAll(pollers[to].fd, buffer, count) else { break loop }
            }
        }
    }

    /// A peer that stops reading cannot block a thread for long: sends time out after 500 ms.
    private static func limitSends(_ fd: Int32) {
        var timeout = timeval(tv_sec: 0, tv_usec: 500_000)
        setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &timeout, socklen_t(MemoryLayout<timeval>.size))
    }

    private static func sendAll(_ fd: Int32, _ buffer: [UInt8], _ count: Int) -> Bool {
        var offset = 0
        while offset < count {
            let sent = buffer.withUnsafeBytes { send(fd, $0.baseAddress! + offset, count - offset, Int32(MSG_NOSIGNAL)) }
            if sent < 0, errno == EINTR { continue }
            guard sent > 0 else { return false }
            offset += sent
        }
        return true
    }
}
