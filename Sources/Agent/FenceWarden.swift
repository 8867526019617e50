import CFence
import Synchronization

#if canImport(Glibc)
import Glibc
#endif

/// The fence warden: a tiny process, forked by the agent at start-up, that removes the VIPs when the agent
/// dies or stops renewing its leadership. Defence in depth for short leases, where the kernel lease
/// (``KernelLease``) cannot apply.
///
/// **Contract.** While leader the agent keeps the warden *armed* with its self-fencing deadline and the
/// encoded `RTM_DELADDR` requests for its VIPs: armed at a grant before any VIP is added, re-armed at every
/// renewal, *disarmed* only after the VIPs were removed on losing leadership. The warden then
/// - sends the delete requests once the deadline passes without a renewal (the agent hangs or is stopped),
///   logs a line to stderr and waits disarmed;
/// - on EOF of its socket (the agent exited or was SIGKILLed) while armed, keeps the VIPs until the deadline
///   (the leadership is provably valid until then: the VIPs serve clients as if the agent lived, and no other
///   node can lead before), sends the requests then and exits; disarmed, it exits at once.
///
/// It outlives the agent only that long: it ignores SIGTERM, SIGINT, SIGHUP and SIGPIPE (a service manager
/// signalling the whole group must not take it first) and exits at EOF. It keeps the agent's dropped user and
/// CAP_NET_ADMIN, and holds nothing else: its end of a socket pair, its own netlink socket, stderr. The
/// warden can only remove addresses (it refuses any other request); a removal racing a renewal at the
/// deadline is repaired by the holder, which restores a VIP removed while it still leads.
///
/// Nothing here throws or blocks after ``start()``: if the warden is gone, the first failed send logs once
/// and the agent carries on without it; if it stopped reading, messages are dropped (logged once) and it
/// acts on the last one it got, whose deadline can only be earlier: every failure errs towards removal.
public final class FenceWarden: Sendable {
    /// The warden's process id.
    public let pid: pid_t
    /// The agent's end of the socket pair (close-on-exec); closing it tells the warden the agent is gone.
    let socket: Int32
    let log: @Sendable (String) -> Void
    let gone = Atomic<Bool>(false)
    /// Whether a full queue was reported (once until a message goes through again).
    let stalled = Atomic<Bool>(false)

    init(pid: pid_t, socket: Int32, log: @escaping @Sendable (String) -> Void) {
        self.pid = pid
        self.socket = socket
        self.log = log
    }

    deinit { close(socket) }

    /// Forks the warden (call it while the process is single-threaded, after dropping privileges).
    /// - Parameter log: Where a vanished warden is reported.
    /// - Throws: ``FenceWardenError`` when the socket pair, the fork or the warden's netlink socket fails.
    public static func start(log: @escaping @Sendable (String) -> Void = { _ in }) throws(FenceWardenError)
        -> FenceWarden
    {
        var pid: pid_t = 0
        let fd = cfence_start(&pid)
        guard fd >= 0 else { throw FenceWardenError(operation: "starting the fence warden", errno: -fd) }
        return FenceWarden(pid: pid, socket: fd, log: log)
    }

    /// Arms the warden: unless re-armed or disarmed, it removes the VIPs at `until` or when this process dies.
    /// - Parameters:
    ///   - until: The deadline (the node's self-fencing deadline).
    ///   - deleteRequests: Encoded `RTM_DELADDR` requests (``VIPManager/removalRequests()``); with none, the
    ///     warden is disarmed instead (there is nothing it could remove).
    public func arm(until: ContinuousClock.Instant, deleteRequests: [UInt8]) {
        guard !deleteRequests.isEmpty else { return disarm() }
        let left = until - .now
        let nanoseconds = left.components.seconds * 1_000_000_000 + left.components.attoseconds / 1_000_000_000
        send(Self.message(kind: UInt16(CFENCE_ARM), deadline: cfence_boottime_ns() + nanoseconds) + deleteRequests)
    }

    /// Disarms the warden: the agent removed the VIPs itself.
    public func disarm() {
        send(Self.message(kind: UInt16(CFENCE_DISARM), deadline: 0))
    }

    /// The fixed header (`cfence.h`), field by field in host order.
    static func message(kind: UInt16, deadline: Int64) -> [UInt8] {
        var out: [UInt8] = []
        out.reserveCapacity(Int(CFENCE_HEADER_SIZE))
        withUnsafeBytes(of: UInt32(CFENCE_MAGIC)) { out += $0 }
        withUnsafeBytes(of: kind) { out += $0 }
        withUnsafeBytes(of: UInt16(0)) { out += $0 }
        withUnsafeBytes(of: deadline) { out += $0 }
        return out
    }

    private func send(_ bytes: [UInt8]) {
        guard !gone.load(ordering: .relaxed) else { return }
        guard bytes.count <= Int(CFENCE_MAX_MESSAGE) else {
            log("fence warden: \(bytes.count) bytes of delete requests exceed \(CFENCE_MAX_MESSAGE): not armed")
            return
        }
        let rc = bytes.withUnsafeBytes { cfence_send(socket, $0.baseAddress, $0.count) }
        if rc == 0 {
            stalled.store(false, ordering: .relaxed)
            return
        }
        if rc == -EAGAIN || rc == -EWOULDBLOCK {
            // Stopped or starved: the agent must not block on it. The next message replaces this one.
            if !stalled.exchange(true, ordering: .relaxed) { log("fence warden \(pid) is not reading: message dropped") }
            return
        }
        guard !gone.exchange(true, ordering: .relaxed) else { return }
        log("fence warden gone: \(String(cString: strerror(-rc))); the VIPs are no longer guarded if this process dies")
        _ = cfence_reap(pid)
    }
}

/// A failed system call while starting the fence warden.
public struct FenceWardenError: Error, Sendable, CustomStringConvertible {
    /// What was being done.
    public var operation: String
    /// The `errno`.
    public var errno: Int32
    public var description: String { "\(operation): \(String(cString: strerror(errno)))" }
}
