import Glibc
import Testing

@testable import AgentScripts

@Suite("ScriptRunner")
struct ScriptRunnerTests {
    let runner = ScriptRunner()

    @Test("exit statuses and signals are reported as such")
    func exitStatuses() async {
        let ok = await runner.run(ScriptCommand(executable: "/bin/true"), environment: [:], timeout: .seconds(10))
        #expect(ok.termination == .exited(0))
        #expect(ok.succeeded)
        let no = await runner.run(ScriptCommand(executable: "/bin/false"), environment: [:], timeout: .seconds(10))
        #expect(no.termination == .exited(1))
        #expect(!no.succeeded)
        let seven = await runner.run(shell("exit 7"), environment: [:], timeout: .seconds(10))
        #expect(seven.termination == .exited(7))
        let killed = await runner.run(shell("kill -9 $$"), environment: [:], timeout: .seconds(10))
        #expect(killed.termination == .signaled(9))
    }

    @Test("a program that cannot start is a spawn failure naming it and its errno")
    func spawnFailures() async throws {
        let missing = await runner.run(
            ScriptCommand(executable: "/nonexistent/notify"),
            environment: [:],
            timeout: .seconds(10)
        )
        guard case .spawnFailed(let code, let message) = missing.termination else {
            Issue.record("expected a spawn failure, got \(missing.termination)")
            return
        }
        #expect(code == ENOENT)
        #expect(message.contains("/nonexistent/notify"))
        let relative = await runner.run(ScriptCommand(executable: "true"), environment: [:], timeout: .seconds(10))
        #expect(relative.description.contains("executable 'true' is not an absolute path"))
        let directory = TemporaryDirectory()
        directory.write("not-executable", "#!/bin/sh\n")
        let denied = await runner.run(
            ScriptCommand(executable: directory.file("not-executable")),
            environment: [:],
            timeout: .seconds(10)
        )
        #expect(
            denied.termination
                == .spawnFailed(
                    errno: EACCES,
                    message: "\(directory.file("not-executable")): \(errnoText(EACCES)) (errno \(EACCES))"
                )
        )
    }

    @Test("a timeout kills the whole process group: the script and its background child")
    func timeoutKillsGroup() async throws {
        let directory = TemporaryDirectory()
        let script = "sleep 100 & echo $! > \(directory.file("bg")); echo $$ > \(directory.file("sh")); wait"
        let result = await runner.run(
            shell(script),
            environment: ["PATH": ScriptRunner.defaultPath],
            timeout: .seconds(2)  // time for the shell to write both pid files even on a loaded machine
        )
        #expect(result.termination == .timedOut)
        #expect(result.duration < .seconds(8))
        let shellPID = try #require(directory.read("sh").flatMap { Int32($0.filter(\.isNumber)) })
        let backgroundPID = try #require(directory.read("bg").flatMap { Int32($0.filter(\.isNumber)) })
        #expect(!isAlive(shellPID))  // reaped by the runner
        #expect(await eventually { !isAlive(backgroundPID) }, "background sleep \(backgroundPID) survived")
    }

    @Test("a group that ignores SIGTERM gets SIGKILL after the grace period")
    func sigkillAfterGrace() async throws {
        let directory = TemporaryDirectory()
        let runner = ScriptRunner(killGrace: .milliseconds(300))
        let script = "trap '' TERM; sleep 100 & echo $! > \(directory.file("bg")); while :; do wait; done"
        let result = await runner.run(
            shell(script),
            environment: ["PATH": ScriptRunner.defaultPath],
            timeout: .milliseconds(1500)  // time for the shell to set its trap even on a loaded machine
        )
        #expect(result.termination == .timedOut)
        #expect(result.duration >= .milliseconds(1800))
        #expect(result.duration < .seconds(8))
        let backgroundPID = try #require(directory.read("bg").flatMap { Int32($0.filter(\.isNumber)) })
        #expect(await eventually { !isAlive(backgroundPID) }, "background sleep \(backgroundPID) survived")
    }

    @Test("a script flooding its output still times out on time, keeping only the tail")
    func floodTimesOut() async {
        let runner = ScriptRunner(outputLimit: 1024, killGrace: .milliseconds(200))
        let result = await runner.run(
            ScriptCommand(executable: "/usr/bin/yes", arguments: ["flood"]),
            environment: [:],
            // Long enough for `yes` to get scheduled and fill the pipe even on a loaded 2-core machine
            // (at 300 ms it once wrote nothing before the timeout under a load average of 8).
            timeout: .milliseconds(1500)
        )
        #expect(result.termination == .timedOut)
        #expect(result.duration < .seconds(6))
        #expect(result.outputTruncated)
        #expect(result.output.utf8.count == 1024)
        #expect(result.output.contains("flood\nflood\n"))
    }

    @Test("cancelling the awaiting task stops the script")
    func cancellation() async {
        let task = Task {
            await runner.run(
                shell("exec sleep 100"),
                environment: ["PATH": ScriptRunner.defaultPath],
                timeout: .seconds(100)
            )
        }
        try? await Task.sleep(for: .milliseconds(100))  // let it start; cancellation before the spawn works too
        task.cancel()
        let result = await task.value
        #expect(result.termination == .cancelled)
        #expect(result.duration < .seconds(5))
    }

    @Test("the child gets exactly the given environment")
    func environmentExact() async {
        let result = await runner.run(
            ScriptCommand(executable: "/usr/bin/env"),
            environment: ["A": "1", "B": "two words", "PATH": "/bin"],
            timeout: .seconds(10)
        )
        #expect(result.succeeded)
        #expect(result.output.split(separator: "\n").sorted() == ["A=1", "B=two words", "PATH=/bin"])
        let empty = await runner.run(ScriptCommand(executable: "/usr/bin/env"), environment: [:], timeout: .seconds(10))
        #expect(empty.output == "")
    }

    @Test("stdout and stderr are captured together; stdin is /dev/null; only 0, 1, 2 are open")
    func outputAndDescriptors() async {
        let both = await runner.run(shell("echo out; echo err >&2"), environment: [:], timeout: .seconds(10))
        #expect(both.output == "out\nerr\n")
        #expect(!both.outputTruncated)
        let stdin = await runner.run(shell("read line || echo eof"), environment: [:], timeout: .seconds(10))
        #expect(stdin.output == "eof\n")
        // A descriptor the agent leaked without O_CLOEXEC must not reach the script.
        let leaked = open("/dev/null", O_RDONLY)
        defer { close(leaked) }
        let probe = "for f in 0 1 2 3 4 5 6 7 8 9 \(leaked); do [ -e /proc/$$/fd/$f ] && echo $f; done; true"
        let fds = await runner.run(shell(probe), environment: [:], timeout: .seconds(10))
        #expect(leaked > 2)
        #expect(fds.output == "0\n1\n2\n")
    }

    @Test("output is bounded to the tail")
    func outputBounded() async {
        let runner = ScriptRunner(outputLimit: 4096)
        let script = "i=0; while [ $i -lt 3000 ]; do echo line$i; i=$((i+1)); done; echo END >&2"
        let result = await runner.run(shell(script), environment: [:], timeout: .seconds(20))
        #expect(result.succeeded)
        #expect(result.outputTruncated)
        #expect(result.output.utf8.count == 4096)
        #expect(result.output.hasSuffix("line2999\nEND\n"))
    }
}
