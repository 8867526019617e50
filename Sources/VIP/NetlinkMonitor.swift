// Watching links and addresses: a socket joined to RTNLGRP_LINK, RTNLGRP_IPV4_IFADDR and
// RTNLGRP_IPV6_IFADDR, read by one dedicated thread that publishes events as an async sequence.
import Synchronization
import SystemPackage

/// Publishes link and address changes (`ip monitor link address`), resynchronising from a dump when the
/// kernel reports lost notifications (ENOBUFS).
public final class NetlinkMonitor: Sendable {
    /// The links and addresses at subscription time.
    public let initialLinks: [LinkMessage]
    /// The addresses at subscription time.
    public let initialAddresses: [AddressMessage]
    private let core: Mutex<MonitorCore?>
    private let stats = MonitorStats()

    /// Subscribes in the calling thread's network namespace and takes an initial dump. Notifications
    /// queue in the kernel until `events()` starts reading.
    /// - Parameter receiveBufferSize: The socket receive buffer in bytes (`SO_RCVBUFFORCE`); `nil` keeps the default.
    /// - Throws: `NetlinkError` (operation `.monitor`) when the socket cannot be set up.
    public init(receiveBufferSize: Int? = nil) throws(NetlinkError) {
        let socket = try mapErrno(.monitor) { () throws(Errno) -> NetlinkSocket in
            let socket = try NetlinkSocket(groups: [.link, .ipv4Address, .ipv6Address])
            if let receiveBufferSize { try socket.setReceiveBuffer(bytes: receiveBufferSize) }
            return socket
        }
        let dumper = try RouteNetlink.open()
        initialLinks = try dumper.links()
        initialAddresses = try dumper.addresses()
        let tracker = NetworkStateTracker(links: initialLinks, addresses: initialAddresses)
        core = Mutex(MonitorCore(socket: socket, dumper: dumper, tracker: tracker, stats: stats))
    }

    /// How many receive-buffer overruns were seen (each followed by `.resynchronized`).
    public var overrunCount: Int { stats.overruns.load(ordering: .relaxed) }

    /// Starts the reader thread and returns the event stream. Call once; a second call returns a stream
    /// that fails at once. Ending the iteration (or cancelling its task) stops the thread and closes the socket.
    public func events() -> AsyncThrowingStream<NetworkEvent, any Error> {
        let (stream, continuation) = AsyncThrowingStream.makeStream(of: NetworkEvent.self)
        guard let core = core.withLock({ $0.take() }) else {
            continuation.finish(throwing: NetlinkError(operation: .monitor, protocolViolation: "events() called twice"))
            return stream
        }
        do {
            let wake = try Sys.pipe()
            let closed = Mutex(false)
            continuation.onTermination = { _ in
                closed.withLock { if !$0 { Sys.wake(wake.write) } }
            }
            try Sys.spawnThread { [core] in
                let result = Result { () throws(NetlinkError) in
                    try core.run(wake: wake.read) { continuation.yield($0) }
                }
                closed.withLock {
                    $0 = true
                    Sys.close(wake.read)
                    Sys.close(wake.write)
                }
                continuation.finish(throwing: result.failure)
            }
        } catch {
            continuation.finish(throwing: NetlinkError(operation: .monitor, errno: error.rawValue))
        }
        return stream
    }
}

/// Maps a thrown `Errno` to a `NetlinkError` of `operation`.
func mapErrno<T: ~Copyable>(
    _ operation: NetlinkError.Operation,
    _ body: () throws(Errno) -> T
) throws(NetlinkError) -> T {
    do {
        return try body()
    } catch {
        throw NetlinkError(operation: operation, errno: error.rawValue)
    }
}

private final class MonitorStats: Sendable {
    let overruns = Atomic<Int>(0)
}

extension Result {
    fileprivate var failure: Failure? {
        if case .failure(let e) = self { return e }
        return nil
    }
}

/// The reader's state. Owned by exactly one thread once `events()` has started it.
private final class MonitorCore: @unchecked Sendable {
    private var socket: NetlinkSocket
    private let dumper: RouteNetlink
    private var tracker: NetworkStateTracker
    private let stats: MonitorStats

    init(socket: consuming NetlinkSocket, dumper: RouteNetlink, tracker: NetworkStateTracker, stats: MonitorStats) {
        self.socket = socket
        self.dumper = dumper
        self.tracker = tracker
        self.stats = stats
    }

    /// Reads until `wake` becomes readable; publishes every event through `emit`.
    func run(wake: FileDescriptor, emit: (NetworkEvent) -> Void) throws(NetlinkError) {
        while true {
            let ready: [Bool]
            do {
                ready = try Sys.pollReadable([socket.descriptor, wake], timeoutMilliseconds: -1)
            } catch {
                throw NetlinkError(operation: .monitor, errno: error.rawValue)
            }
            if ready[1] { return }
            guard ready[0] else { continue }
            do {
                for message in try socket.receive() {
                    for event in tracker.apply(message) { emit(event) }
                }
            } catch  where error.code == .overrun {
                stats.overruns.add(1, ordering: .relaxed)
                for event in try resynchronize() { emit(event) }
            }
        }
    }

    private func resynchronize() throws(NetlinkError) -> [NetworkEvent] {
        // A dump can itself be interrupted by concurrent changes (EINTR); retry a few times.
        var attempts = 0
        while true {
            do {
                return tracker.resynchronize(links: try dumper.links(), addresses: try dumper.addresses())
            } catch  where error.errno == 4 && attempts < 5 {
                attempts += 1
            }
        }
    }
}
