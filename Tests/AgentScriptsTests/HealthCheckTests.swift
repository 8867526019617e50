import Testing

@testable import AgentScripts

@Suite("HealthCheck")
struct HealthCheckTests {
    @Test("fall and rise counting: unknown counts as healthy until fall failures")
    func tracker() {
        var tracker = HealthTracker(fall: 3, rise: 2)
        #expect(tracker.status == .unknown && tracker.status.countsAsHealthy)
        #expect(tracker.record(success: false) == nil)
        #expect(tracker.record(success: false) == nil)
        #expect(tracker.record(success: true) == nil)  // resets the failures
        #expect(tracker.consecutiveFailures == 0 && tracker.consecutiveSuccesses == 1)
        #expect(tracker.record(success: false) == nil)
        #expect(tracker.record(success: false) == nil)
        #expect(tracker.record(success: false) == false)
        #expect(tracker.status == .unhealthy)
        #expect(tracker.record(success: false) == nil)
        #expect(tracker.record(success: true) == nil)
        #expect(tracker.record(success: true) == true)
        #expect(tracker.status == .healthy)

        var fresh = HealthTracker(fall: 1, rise: 2)
        #expect(fresh.record(success: true) == nil)
        #expect(fresh.record(success: true) == nil)  // unknown → healthy is no flip
        #expect(fresh.status == .healthy)
        #expect(fresh.record(success: false) == false)
    }

    @Test("a check that follows a file's presence flips unhealthy after fall runs and back after rise")
    func fallAndRise() async throws {
        let directory = TemporaryDirectory()
        let config = try HealthCheckConfig(
            name: "file",
            command: shell("test -e \(directory.file("ok"))"),
            interval: .milliseconds(30),
            timeout: .seconds(5),
            fall: 3,
            rise: 2
        )
        let changes = Recorder<Bool>()
        let check = HealthCheck(config: config) { changes.append($0) }
        #expect(await check.state.status == .unknown)
        await check.start()

        #expect(await eventually { changes.values == [false] })
        var state = await check.state
        #expect(state.status == .unhealthy && !state.healthy)
        #expect(state.consecutiveFailures >= 3 && state.consecutiveSuccesses == 0)
        #expect(state.lastResult?.hasPrefix("exited with status 1") == true)
        #expect(state.lastRun != nil && state.runs >= 3)

        directory.write("ok", "")
        #expect(await eventually { changes.values == [false, true] })
        state = await check.state
        #expect(state.status == .healthy && state.consecutiveSuccesses >= 2)

        directory.remove("ok")
        #expect(await eventually { changes.values == [false, true, false] })
        await check.stop()
        let runs = await check.state.runs
        try await Task.sleep(for: .milliseconds(100))  // a stopped check must not run again: nothing to await
        #expect(await check.state.runs == runs)
    }

    @Test("stop kills a run in progress and returns")
    func stopKillsRun() async throws {
        let directory = TemporaryDirectory()
        let config = try HealthCheckConfig(
            name: "slow",
            command: shell("echo $$ > \(directory.file("pid")); exec sleep 100"),
            interval: .seconds(1),
            timeout: .seconds(100)
        )
        let check = HealthCheck(config: config, runner: ScriptRunner(killGrace: .milliseconds(200))) { _ in }
        await check.start()
        #expect(await eventually { directory.read("pid")?.isEmpty == false })
        let pid = try #require(directory.read("pid").flatMap { Int32($0.filter(\.isNumber)) })
        let clock = ContinuousClock()
        let took = await clock.measure { await check.stop() }
        #expect(took < .seconds(5))
        #expect(!isAlive(pid))
        #expect(await check.state.runs == 0)  // the cancelled run is not counted
    }

    @Test("config errors name the field and the value")
    func configErrors() {
        let command = ScriptCommand(executable: "/bin/true")
        #expect(throws: HealthCheckConfigError("health check 'c' fall: expected >= 1, got 0")) {
            try HealthCheckConfig(name: "c", command: command, fall: 0)
        }
        #expect(throws: HealthCheckConfigError("health check 'c' rise: expected >= 1, got -1")) {
            try HealthCheckConfig(name: "c", command: command, rise: -1)
        }
        #expect(throws: HealthCheckConfigError("health check 'c' interval: expected > 0, got 0.0 seconds")) {
            try HealthCheckConfig(name: "c", command: command, interval: .zero)
        }
        #expect(throws: HealthCheckConfigError.self) { try HealthCheckConfig(name: "", command: command) }
    }
}
