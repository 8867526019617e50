import CLibCap
import Glibc
import Testing

@testable import AgentScripts

/// The daemon runs with ambient CAP_NET_ADMIN/CAP_NET_RAW; scripts must not inherit them. Capabilities are
/// per thread and a child inherits the forking thread's, so the test raises an ambient CAP_NET_RAW on a
/// thread of its own and spawns from that thread, once through CSpawn and once through plain posix_spawn
/// (the control that shows the ambient set would otherwise reach the child).
@Suite("Ambient capabilities")
struct AmbientCapabilityTests {
    struct Outcome: Sendable {
        var raised = false
        var threadAmbient: String?
        var viaRunner: String?
        var viaPosixSpawn: String?
    }

    @Test("a script does not inherit the agent's ambient capabilities", .enabled(if: geteuid() == 0))
    func ambientCleared() async throws {
        let outcome = await withCheckedContinuation { (continuation: CheckedContinuation<Outcome, Never>) in
            let failed = DedicatedThread.start { continuation.resume(returning: Self.probeOnThisThread()) }
            precondition(failed == nil)
        }
        try #require(outcome.raised, "could not raise an ambient CAP_NET_RAW on the test thread")
        #expect(outcome.threadAmbient == "0000000000002000")
        #expect(outcome.viaPosixSpawn == "0000000000002000", "control: posix_spawn keeps the ambient set")
        #expect(outcome.viaRunner == "0000000000000000")
    }

    /// Raises CAP_NET_RAW into the inheritable and ambient sets of the calling thread, then spawns
    /// `grep CapAmb /proc/self/status` both ways. The thread ends afterwards, taking its capabilities along.
    static func probeOnThisThread() -> Outcome {
        var outcome = Outcome()
        guard let caps = cap_get_proc() else { return outcome }
        var netRaw = cap_value_t(CAP_NET_RAW)
        let flagged = cap_set_flag(
            caps,
            cap_flag_t(UInt32(SC_CAP_INHERITABLE)),
            1,
            &netRaw,
            cap_flag_value_t(UInt32(SC_CAP_SET))
        )
        let set = flagged == 0 && cap_set_proc(caps) == 0
        cap_free(UnsafeMutableRawPointer(caps))
        guard set, cap_set_ambient(cap_value_t(CAP_NET_RAW), cap_flag_value_t(UInt32(SC_CAP_SET))) == 0 else {
            return outcome
        }
        outcome.raised = true
        outcome.threadAmbient = ambientField(readThreadStatus())
        let grep = ScriptCommand(executable: "/bin/grep", arguments: ["CapAmb", "/proc/self/status"])
        let execution = ScriptExecution(
            command: grep,
            environment: [:],
            timeout: .seconds(10),
            killGrace: .seconds(1),
            outputLimit: 4096,
            cancelled: CancelFlag()
        )
        outcome.viaRunner = ambientField(execution.run().output)
        outcome.viaPosixSpawn = ambientField(posixSpawnOutput(["/bin/grep", "CapAmb", "/proc/self/status"]))
        return outcome
    }

    static func ambientField(_ text: String) -> String? {
        text.split(separator: "\n").first { $0.hasPrefix("CapAmb:") }
            .flatMap { $0.split(whereSeparator: \.isWhitespace).last.map(String.init) }
    }

    static func readThreadStatus() -> String {
        guard let handle = fopen("/proc/thread-self/status", "r") else { return "" }
        defer { fclose(handle) }
        var text = ""
        var line = [CChar](repeating: 0, count: 1024)
        while fgets(&line, Int32(line.count), handle) != nil {
            text += line.withUnsafeBufferPointer { String(cString: $0.baseAddress!) }
        }
        return text
    }

    /// posix_spawn with stdout into a pipe; the whole output (the child is short-lived).
    static func posixSpawnOutput(_ argv: [String]) -> String {
        var pipeFDs: [Int32] = [-1, -1]
        guard pipe(&pipeFDs) == 0 else { return "" }
        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        posix_spawn_file_actions_adddup2(&actions, pipeFDs[1], 1)
        posix_spawn_file_actions_addclose(&actions, pipeFDs[0])
        let args = CStringArray(argv)
        let env = CStringArray([])
        var pid = pid_t()
        let rc = posix_spawn(&pid, argv[0], &actions, nil, args.pointers, env.pointers)
        posix_spawn_file_actions_destroy(&actions)
        args.free()
        env.free()
        close(pipeFDs[1])
        defer { close(pipeFDs[0]) }
        guard rc == 0 else { return "" }
        var bytes: [UInt8] = []
        var buffer = [UInt8](repeating: 0, count: 1024)
        while true {
            let n = read(pipeFDs[0], &buffer, buffer.count)
            if n <= 0 { break }
            bytes += buffer.prefix(n)
        }
        var status: Int32 = 0
        waitpid(pid, &status, 0)
        return String(decoding: bytes, as: UTF8.self)
    }
}
