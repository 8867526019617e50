/// A health check's settings, keepalived's `track_script`.
public struct HealthCheckConfig: Sendable, Hashable {
    /// Names the check in logs, status and metrics.
    public var name: String
    /// What to run; exit status 0 is a success, anything else (timeout included) a failure.
    public var command: ScriptCommand
    /// From the start of one run to the start of the next (runs never overlap; a slow run delays the next).
    public var interval: Duration
    /// The longest one run may take before its process group is killed and the run counts as failed.
    public var timeout: Duration
    /// Consecutive failures that make the check unhealthy.
    public var fall: Int
    /// Consecutive successes that make an unhealthy check healthy again.
    public var rise: Int
    /// Extra variables for the command; it also gets `PATH=/usr/sbin:/usr/bin:/sbin:/bin` unless set here.
    public var environment: [String: String]

    /// - Throws: `HealthCheckConfigError` naming the field when `name` is empty, `interval` or `timeout` is
    ///   not positive, or `fall` or `rise` is below 1.
    public init(
        name: String,
        command: ScriptCommand,
        interval: Duration = .seconds(2),
        timeout: Duration = .seconds(2),
        fall: Int = 3,
        rise: Int = 2,
        environment: [String: String] = [:]
    ) throws(HealthCheckConfigError) {
        guard !name.isEmpty else { throw HealthCheckConfigError("health check name: expected a non-empty name") }
        for (field, value) in [("interval", interval), ("timeout", timeout)] where value <= .zero {
            throw HealthCheckConfigError("health check '\(name)' \(field): expected > 0, got \(value)")
        }
        for (field, value) in [("fall", fall), ("rise", rise)] where value < 1 {
            throw HealthCheckConfigError("health check '\(name)' \(field): expected >= 1, got \(value)")
        }
        (self.name, self.command, self.interval, self.timeout) = (name, command, interval, timeout)
        (self.fall, self.rise, self.environment) = (fall, rise, environment)
    }
}

/// A rejected ``HealthCheckConfig``: the field, its value and what was expected.
public struct HealthCheckConfigError: Error, Equatable, Sendable, CustomStringConvertible {
    public let description: String
    init(_ description: String) { self.description = description }
}

/// What a health check knows now, for status output and metrics.
public struct HealthCheckState: Sendable, Equatable {
    /// The verdict; ``HealthStatus/unknown`` until the first `rise` successes or `fall` failures.
    public var status: HealthStatus
    /// Successes in a row, 0 after a failure.
    public var consecutiveSuccesses: Int
    /// Failures in a row, 0 after a success.
    public var consecutiveFailures: Int
    /// The last run, in one line (``ScriptResult/description``); `nil` before the first.
    public var lastResult: String?
    /// When the last run finished; `nil` before the first.
    public var lastRun: ContinuousClock.Instant?
    /// How many runs finished.
    public var runs: Int

    /// Whether the node may contend: true while `unknown` or `healthy`.
    public var healthy: Bool { status.countsAsHealthy }
}

/// Runs a command every interval, never two at once, and tracks health with fall/rise counting.
///
/// The check starts ``HealthStatus/unknown``, which counts as healthy: a node contends from the start and
/// turns unhealthy only after `fall` consecutive failures. `onChange` is called (on the check's actor, in
/// order) only when the effective health flips: `unknown`/`healthy` → `unhealthy` or back.
public actor HealthCheck {
    /// The settings.
    public nonisolated let config: HealthCheckConfig
    private let runner: ScriptRunner
    private let onChange: @Sendable (_ healthy: Bool) -> Void
    private var tracker: HealthTracker
    private var lastResult: ScriptResult?
    private var lastRun: ContinuousClock.Instant?
    private var runs = 0
    private var loop: Task<Void, Never>?

    /// - Parameters:
    ///   - config: what to run and how to count.
    ///   - runner: how the command runs.
    ///   - onChange: called with the new effective health (`healthy:`) each time it flips.
    public init(
        config: HealthCheckConfig,
        runner: ScriptRunner = ScriptRunner(),
        onChange: @escaping @Sendable (_ healthy: Bool) -> Void
    ) {
        self.config = config
        self.runner = runner
        self.onChange = onChange
        self.tracker = HealthTracker(fall: config.fall, rise: config.rise)
    }

    /// The current verdict and counters.
    public var state: HealthCheckState {
        HealthCheckState(
            status: tracker.status,
            consecutiveSuccesses: tracker.consecutiveSuccesses,
            consecutiveFailures: tracker.consecutiveFailures,
            lastResult: lastResult?.description,
            lastRun: lastRun,
            runs: runs
        )
    }

    /// Starts running the command (the first run at once). Does nothing when already started. The loop holds
    /// the check until ``stop()``.
    public func start() {
        guard loop == nil else { return }
        loop = Task { await self.runLoop() }
    }

    /// Stops the runs; a run in progress is killed (SIGTERM, then SIGKILL after the runner's grace). Returns
    /// once the loop has ended. The state keeps its last values; ``start()`` may run the check again.
    public func stop() async {
        guard let running = loop else { return }
        running.cancel()
        await running.value
        loop = nil
    }

    private func runLoop() async {
        var environment = config.environment
        if environment["PATH"] == nil { environment["PATH"] = ScriptRunner.defaultPath }
        let clock = ContinuousClock()
        while !Task.isCancelled {
            let started = clock.now
            let result = await runner.run(config.command, environment: environment, timeout: config.timeout)
            if Task.isCancelled { break }
            record(result, at: clock.now)
            do { try await clock.sleep(until: started + config.interval) } catch { break }
        }
    }

    private func record(_ result: ScriptResult, at instant: ContinuousClock.Instant) {
        lastResult = result
        lastRun = instant
        runs += 1
        if let healthy = tracker.record(success: result.succeeded) { onChange(healthy) }
    }
}
