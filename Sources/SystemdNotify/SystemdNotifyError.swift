/// Why a notification could not be built or delivered.
public struct SystemdNotifyError: Error, Equatable, Sendable, CustomStringConvertible {
    /// What went wrong, naming the field or value involved and what was expected.
    public let description: String

    init(_ description: String) { self.description = description }

    static func badSocket(_ value: String, _ expected: String) -> Self {
        Self("NOTIFY_SOCKET '\(value)': \(expected)")
    }

    static func badAssignment(key: String, _ expected: String) -> Self {
        Self("sd_notify assignment key '\(key)': \(expected)")
    }

    static func syscall(_ name: String, errno: Int32, socket: String) -> Self {
        Self("sd_notify \(name) on NOTIFY_SOCKET '\(socket)' failed: \(errnoText(errno)) (errno \(errno))")
    }
}
