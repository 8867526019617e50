/// A program to run: an absolute executable path and its arguments. No shell is involved unless the
/// executable is one (`ScriptCommand(executable: "/bin/sh", arguments: ["-c", "…"])`).
public struct ScriptCommand: Sendable, Hashable, CustomStringConvertible {
    /// The absolute path handed to `execve` (no PATH search).
    public var executable: String
    /// The arguments after `argv[0]` (which is `executable`).
    public var arguments: [String]

    /// - Parameters:
    ///   - executable: an absolute path; anything else fails at run time with a spawn failure naming it.
    ///   - arguments: `argv[1...]`.
    public init(executable: String, arguments: [String] = []) {
        self.executable = executable
        self.arguments = arguments
    }

    /// The command as one line, arguments quoted where they hold spaces, for logs.
    public var description: String {
        ([executable] + arguments).map { $0.contains(" ") || $0.isEmpty ? "'\($0)'" : $0 }.joined(separator: " ")
    }
}

/// How a script run ended, and what it printed.
public struct ScriptResult: Sendable, Equatable, CustomStringConvertible {
    /// The ways a run can end.
    public enum Termination: Sendable, Equatable {
        /// The process exited with this status.
        case exited(Int32)
        /// The process was killed by this signal (not by the runner).
        case signaled(Int32)
        /// The run outlived its timeout; its process group got SIGTERM, then SIGKILL after the grace period.
        case timedOut
        /// The awaiting task was cancelled; the process group was stopped as for a timeout.
        case cancelled
        /// The process could not be started: the errno and its text, naming the executable.
        case spawnFailed(errno: Int32, message: String)
    }

    /// How the run ended.
    public var termination: Termination
    /// From just before the spawn until the process was reaped.
    public var duration: Duration
    /// The last bytes of combined stdout and stderr (at most the runner's output limit), decoded as UTF-8.
    public var output: String
    /// Whether earlier output was dropped to respect the limit.
    public var outputTruncated: Bool

    /// Whether the process exited with status 0.
    public var succeeded: Bool { termination == .exited(0) }

    /// One line for logs and status: how it ended and how long it took.
    public var description: String {
        let ms = Double(duration.components.seconds) * 1e3 + Double(duration.components.attoseconds) / 1e15
        let took = "in \(Int(ms.rounded())) ms"
        switch termination {
        case .exited(let code): return "exited with status \(code) \(took)"
        case .signaled(let signal): return "killed by signal \(signal) \(took)"
        case .timedOut: return "timed out after \(Int(ms.rounded())) ms and was killed"
        case .cancelled: return "cancelled after \(Int(ms.rounded())) ms and was killed"
        case .spawnFailed(_, let message): return "could not start: \(message)"
        }
    }
}
