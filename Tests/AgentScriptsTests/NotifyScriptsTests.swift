import Testing

@testable import AgentScripts

@Suite("NotifyScripts")
struct NotifyScriptsTests {
    @Test("three quick transitions run three scripts one at a time, in order, without delaying the caller")
    func ordering() async {
        let directory = TemporaryDirectory()
        let log = directory.file("log")
        // The first script is the slowest: overlapping or reordered runs would write out of order.
        let config = NotifyScriptsConfig(
            master: shell("sleep 0.3; echo master-$EPOCH >> \(log)"),
            backup: shell("sleep 0.1; echo backup-$EPOCH >> \(log)"),
            fault: shell("echo fault-$EPOCH >> \(log)")
        )
        let failures = Recorder<String>()
        let scripts = NotifyScripts(config: config) { failures.append($0) }
        let clock = ContinuousClock()
        let took = clock.measure {
            scripts.notify(.master, environment: ["EPOCH": "1"])
            scripts.notify(.backup, environment: ["EPOCH": "2"])
            scripts.notify(.fault, environment: ["EPOCH": "3"])
        }
        #expect(took < .milliseconds(250), "notify must only enqueue")
        await scripts.finish()
        #expect(directory.read("log") == "master-1\nbackup-2\nfault-3\n")
        #expect(failures.values.isEmpty)
    }

    @Test("the script gets exactly the caller's variables plus PATH")
    func environment() async {
        let directory = TemporaryDirectory()
        let config = NotifyScriptsConfig(
            master: ScriptCommand(
                executable: "/bin/sh",
                arguments: ["-c", "exec /usr/bin/env > \(directory.file("env"))"]
            )
        )
        let scripts = NotifyScripts(config: config) { _ in }
        let variables = [
            "CLUSTER_ID": "c1", "NODE_ID": "n2", "ROLE": "master", "EPOCH": "7", "LEADER": "n2",
            "VIPS": "192.0.2.10/24 2001:db8::10/64",
        ]
        scripts.notify(.master, environment: variables)
        await scripts.finish()
        let lines = directory.read("env")?.split(separator: "\n").map(String.init).sorted() ?? []
        // dash exports PWD on its own; everything else must be ours.
        let expected = (variables.map { "\($0.key)=\($0.value)" } + ["PATH=/usr/sbin:/usr/bin:/sbin:/bin"]).sorted()
        #expect(lines.filter { !$0.hasPrefix("PWD=") } == expected)
    }

    @Test("failed, timed-out and unstartable scripts are logged; unconfigured states run nothing")
    func failuresLogged() async {
        let config = NotifyScriptsConfig(
            master: ScriptCommand(executable: "/nonexistent/master"),
            backup: shell("echo oops; exit 3"),
            fault: shell("exec sleep 100"),
            timeout: .milliseconds(1000)
        )
        let failures = Recorder<String>()
        let scripts = NotifyScripts(config: config, runner: ScriptRunner(killGrace: .milliseconds(100))) {
            failures.append($0)
        }
        scripts.notify(.master, environment: [:])
        scripts.notify(.backup, environment: [:])
        scripts.notify(.fault, environment: [:])
        await scripts.finish()
        let lines = failures.values
        #expect(lines.count == 3)
        #expect(lines.first?.contains("notify master script /nonexistent/master could not start") == true)
        #expect(lines.dropFirst().first?.contains("exited with status 3") == true)
        #expect(lines.dropFirst().first?.contains("output: oops") == true)
        #expect(lines.last?.contains("notify fault script") == true)
        #expect(lines.last?.contains("timed out") == true)

        let none = NotifyScripts(config: NotifyScriptsConfig()) { failures.append($0) }
        none.notify(.master, environment: [:])
        await none.finish()
        #expect(failures.values.count == 3)
    }
}
