/// Speaks the sd_notify protocol directly: one `KEY=VALUE\n…` datagram per call on the AF_UNIX socket that
/// systemd names in `NOTIFY_SOCKET`. No libsystemd.
///
/// Each call opens a `SOCK_DGRAM | SOCK_CLOEXEC` socket, sends one datagram and closes it, as `sd_notify(3)`
/// does; the send is a single quick syscall.
public struct SystemdNotifier: Sendable {
    /// The NOTIFY_SOCKET value this notifier sends to (`/path` or `@abstract`).
    public let socket: String
    let address: NotifySocketAddress

    /// A notifier for an explicit socket.
    /// - Parameter socket: an absolute path, or `@name` for the abstract namespace.
    /// - Throws: `SystemdNotifyError` naming the value when it is neither, or too long for `sun_path`.
    public init(socket: String) throws(SystemdNotifyError) {
        self.socket = socket
        self.address = try NotifySocketAddress(parsing: socket)
    }

    /// The notifier systemd asked for, or `nil` when `NOTIFY_SOCKET` is unset or empty (not run by systemd
    /// with `Type=notify`).
    /// - Parameter environment: the variables to read; the process environment when `nil`.
    /// - Throws: `SystemdNotifyError` when NOTIFY_SOCKET is set to something this notifier cannot use.
    public static func fromEnvironment(
        _ environment: [String: String]? = nil
    ) throws(SystemdNotifyError)
        -> SystemdNotifier?
    {
        let value = environment.map { $0["NOTIFY_SOCKET"] } ?? NotifySys.environment("NOTIFY_SOCKET")
        guard let value, !value.isEmpty else { return nil }
        return try SystemdNotifier(socket: value)
    }

    /// Sends the assignments as one datagram, each as `KEY=VALUE\n`, in order.
    /// - Throws: `SystemdNotifyError` when a key is empty or holds `=` or a newline, a value holds a newline,
    ///   or the socket calls fail (naming the call and errno).
    public func send(_ assignments: [(String, String)]) throws(SystemdNotifyError) {
        try NotifyStatePayload.validate(assignments)
        let payload = NotifyStatePayload.encode(assignments)
        if let failure = NotifySys.sendDatagram(payload, to: address) {
            throw .syscall(failure.call, errno: failure.errno, socket: socket)
        }
    }

    /// `READY=1`, plus `STATUS=` when given: start-up finished.
    public func ready(status: String? = nil) throws(SystemdNotifyError) {
        try send([("READY", "1")] + (status.map { [("STATUS", $0)] } ?? []))
    }

    /// `STATUS=text`: the free-form line `systemctl status` shows.
    public func status(_ text: String) throws(SystemdNotifyError) {
        try send([("STATUS", text)])
    }

    /// `WATCHDOG=1`: keep-alive ping; send it every ``watchdogInterval(environment:)``.
    public func watchdog() throws(SystemdNotifyError) {
        try send([("WATCHDOG", "1")])
    }

    /// `STOPPING=1`: shutdown has begun.
    public func stopping() throws(SystemdNotifyError) {
        try send([("STOPPING", "1")])
    }

    /// `RELOADING=1` with `MONOTONIC_USEC=` (CLOCK_MONOTONIC now), as `Type=notify-reload` requires; send
    /// ``ready(status:)`` when the reload is done.
    public func reloading() throws(SystemdNotifyError) {
        try send([("RELOADING", "1"), ("MONOTONIC_USEC", String(NotifySys.monotonicMicroseconds()))])
    }

    /// How often to send ``watchdog()``: half of `WATCHDOG_USEC`, or `nil` when the watchdog is off for this
    /// process (`WATCHDOG_USEC` unset, not a positive integer, or `WATCHDOG_PID` set to another pid or to
    /// something that is not a pid). Mirrors `sd_watchdog_enabled(3)`.
    /// - Parameter environment: the variables to read; the process environment when `nil`.
    public static func watchdogInterval(environment: [String: String]? = nil) -> Duration? {
        func read(_ name: String) -> String? { environment.map { $0[name] } ?? NotifySys.environment(name) }
        guard let usecText = read("WATCHDOG_USEC"), let usec = UInt64(usecText), usec > 0 else { return nil }
        if let pidText = read("WATCHDOG_PID") {
            guard let pid = Int32(pidText), pid == NotifySys.processID() else { return nil }
        }
        return .microseconds(Int64(clamping: usec / 2))
    }
}

/// The datagram's text: validation and encoding, pure.
enum NotifyStatePayload {
    static func validate(_ assignments: [(String, String)]) throws(SystemdNotifyError) {
        guard !assignments.isEmpty else { throw SystemdNotifyError("sd_notify assignments: expected at least one") }
        for (key, value) in assignments {
            guard !key.isEmpty else { throw .badAssignment(key: key, "expected a non-empty key") }
            guard !key.contains("="), !key.contains("\n") else {
                throw .badAssignment(key: key, "expected a key without '=' or newline")
            }
            guard !value.contains("\n") else {
                throw .badAssignment(key: key, "expected a value without newline, got \(value.debugDescription)")
            }
        }
    }

    static func encode(_ assignments: [(String, String)]) -> [UInt8] {
        Array(assignments.map { "\($0.0)=\($0.1)\n" }.joined().utf8)
    }
}
