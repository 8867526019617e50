/// The role transitions a notify script is told about, as keepalived's `notify_master`/`notify_backup`/
/// `notify_fault`.
public enum NotifyState: String, Sendable, Hashable, CaseIterable {
    /// This node became the leader and holds the floating IPs.
    case master
    /// This node follows another leader.
    case backup
    /// This node cannot lead: not eligible, a health check failed, or NATS is lost.
    case fault
}

/// Which script runs for which transition, and for how long at most.
public struct NotifyScriptsConfig: Sendable, Hashable {
    /// Run on becoming leader.
    public var master: ScriptCommand?
    /// Run on becoming follower.
    public var backup: ScriptCommand?
    /// Run on becoming ineligible.
    public var fault: ScriptCommand?
    /// The longest one script may run before its process group is killed.
    public var timeout: Duration

    /// - Parameters: one optional command per state, and the per-script timeout (30 s by default).
    public init(
        master: ScriptCommand? = nil,
        backup: ScriptCommand? = nil,
        fault: ScriptCommand? = nil,
        timeout: Duration = .seconds(30)
    ) {
        self.master = master
        self.backup = backup
        self.fault = fault
        self.timeout = timeout
    }

    /// The command for `state`, if one is configured.
    public func command(for state: NotifyState) -> ScriptCommand? {
        switch state {
        case .master: master
        case .backup: backup
        case .fault: fault
        }
    }
}

/// Fires notify scripts in the background, one at a time and in the order the transitions happened.
///
/// ``notify(_:environment:)`` only enqueues: the caller is never delayed, whatever the scripts do. A single
/// worker task runs the queue; a script that fails, times out or cannot start is reported to `log`.
public final class NotifyScripts: Sendable {
    private struct Job: Sendable {
        let state: NotifyState
        let command: ScriptCommand
        let environment: [String: String]
    }

    /// The configuration the scripts run with.
    public let config: NotifyScriptsConfig
    private let queue: AsyncStream<Job>.Continuation
    private let worker: Task<Void, Never>

    /// Starts the worker.
    /// - Parameters:
    ///   - config: the scripts and their timeout.
    ///   - runner: how scripts are run.
    ///   - log: receives one line per failed run (state, command, how it ended, output tail).
    public init(
        config: NotifyScriptsConfig,
        runner: ScriptRunner = ScriptRunner(),
        log: @escaping @Sendable (String) -> Void
    ) {
        self.config = config
        let (stream, continuation) = AsyncStream<Job>.makeStream(bufferingPolicy: .unbounded)
        self.queue = continuation
        let timeout = config.timeout
        self.worker = Task {
            for await job in stream {
                let result = await runner.run(job.command, environment: job.environment, timeout: timeout)
                if !result.succeeded {
                    let tail = result.output.isEmpty ? "" : "; output: \(result.output.suffix(512))"
                    log("notify \(job.state.rawValue) script \(job.command) \(result)\(tail)")
                }
            }
        }
    }

    deinit { queue.finish() }

    /// Queues the script for `state`, if one is configured, and returns at once.
    /// - Parameters:
    ///   - state: the transition that happened.
    ///   - environment: the caller's variables (CLUSTER_ID, NODE_ID, ROLE, EPOCH, LEADER, VIPS); the script
    ///     gets exactly these plus `PATH=/usr/sbin:/usr/bin:/sbin:/bin`.
    public func notify(_ state: NotifyState, environment: [String: String]) {
        guard let command = config.command(for: state) else { return }
        var environment = environment
        environment["PATH"] = ScriptRunner.defaultPath
        queue.yield(Job(state: state, command: command, environment: environment))
    }

    /// Stops accepting transitions and waits until the queued scripts have run (for shutdown and tests).
    public func finish() async {
        queue.finish()
        await worker.value
    }
}
