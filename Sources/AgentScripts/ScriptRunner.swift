/// Runs scripts as child processes without blocking the Swift concurrency pool.
///
/// Each run gets its own thread that spawns the child (own process group, no ambient capabilities, stdin
/// from /dev/null, stdout and stderr into one pipe, no other descriptors), keeps the tail of its output and
/// waits for it on a pidfd. On timeout or task cancellation the whole process group gets SIGTERM, then
/// SIGKILL after ``killGrace``.
public struct ScriptRunner: Sendable {
    /// The PATH that notify scripts and health checks get: `/usr/sbin:/usr/bin:/sbin:/bin`.
    public static let defaultPath = "/usr/sbin:/usr/bin:/sbin:/bin"

    /// How many bytes of combined output a result keeps (the last ones).
    public var outputLimit: Int
    /// How long the process group has between SIGTERM and SIGKILL.
    public var killGrace: Duration

    /// - Parameters:
    ///   - outputLimit: bytes of output kept, the tail; 4 KiB by default.
    ///   - killGrace: from SIGTERM to SIGKILL on timeout or cancellation; 1 s by default.
    public init(outputLimit: Int = 4096, killGrace: Duration = .seconds(1)) {
        self.outputLimit = outputLimit
        self.killGrace = killGrace
    }

    /// Runs `command` to completion, or until `timeout` (then its process group is killed).
    /// - Parameters:
    ///   - command: the executable and arguments.
    ///   - environment: exactly the child's environment; nothing is inherited from the agent.
    ///   - timeout: from the spawn; the group gets SIGTERM then, SIGKILL ``killGrace`` later.
    /// - Returns: how it ended; a failure to start is a result (`.spawnFailed`), not a thrown error.
    public func run(
        _ command: ScriptCommand,
        environment: [String: String],
        timeout: Duration
    ) async
        -> ScriptResult
    {
        let cancelled = CancelFlag()
        let execution = ScriptExecution(
            command: command,
            environment: environment,
            timeout: timeout,
            killGrace: killGrace,
            outputLimit: outputLimit,
            cancelled: cancelled
        )
        return await withTaskCancellationHandler {
            await withCheckedContinuation { (continuation: CheckedContinuation<ScriptResult, Never>) in
                let failed = DedicatedThread.start { continuation.resume(returning: execution.run()) }
                if let failed {
                    let message = "pthread_create for '\(command.executable)': \(errnoText(failed))"
                    continuation.resume(
                        returning: ScriptResult(
                            termination: .spawnFailed(errno: failed, message: message),
                            duration: .zero,
                            output: "",
                            outputTruncated: false
                        )
                    )
                }
            }
        } onCancel: {
            cancelled.set()
        }
    }
}
