import Foundation
import Synchronization

#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// `CLOCK_MONOTONIC` in nanoseconds, the clock `election-node` stamps its lines with (`mono_ns`).
func monotonicNow() -> UInt64 {
    var now = timespec()
    clock_gettime(CLOCK_MONOTONIC, &now)
    return UInt64(now.tv_sec) * 1_000_000_000 + UInt64(now.tv_nsec)
}

/// A difference of two `mono_ns` stamps as a `Duration` (negative if `to` is earlier).
func monoDuration(from: UInt64, to: UInt64) -> Duration {
    .nanoseconds(Int64(bitPattern: to &- from))
}

/// The `election-node` executable, built next to the test bundle (as VIPTests finds `vip-probe`).
func electionNodeExecutable() -> String {
    let me = (try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/exe")) ?? CommandLine.arguments[0]
    return URL(fileURLWithPath: me).deletingLastPathComponent().appendingPathComponent("election-node").path
}

/// One JSON line of `election-node`'s stdout.
struct NodeEvent: Sendable, CustomStringConvertible {
    var event: String
    var node: String
    var monoNs: UInt64
    var epoch: UInt64?
    var leader: String?
    var wasLeader: Bool?

    init?(line: Substring) {
        guard let object = try? JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any],
            let event = object["event"] as? String, let node = object["node"] as? String,
            let mono = (object["mono_ns"] as? NSNumber)?.uint64Value
        else { return nil }
        self.event = event
        self.node = node
        self.monoNs = mono
        self.epoch = (object["epoch"] as? NSNumber)?.uint64Value
        self.leader = object["leader"] as? String
        self.wasLeader = (object["wasLeader"] as? NSNumber)?.boolValue
    }

    var description: String { "\(node) \(event)" + (epoch.map { " epoch \($0)" } ?? "") + " @\(monoNs)" }
}

/// Where a process's termination handler leaves its status.
final class ExitBox: Sendable {
    let status = Mutex<Int32?>(nil)
}

/// One `election-node` child process. Its stdout and stderr go to files in the test's directory; ``events``
/// re-reads stdout on every call. Only this test signals it, by its PID.
final class NodeProcess: Sendable {
    let nodeId: String
    let pid: Int32
    let stdoutPath: String
    let stderrPath: String
    private let exit = ExitBox()
    /// Kept so that the termination handler stays registered.
    private let process: Process

    /// Starts `election-node <configPath>`.
    init(nodeId: String, configPath: String, directory: String, index: Int) throws {
        self.nodeId = nodeId
        stdoutPath = "\(directory)/\(nodeId)-\(index).out"
        stderrPath = "\(directory)/\(nodeId)-\(index).err"
        _ = FileManager.default.createFile(atPath: stdoutPath, contents: nil)
        _ = FileManager.default.createFile(atPath: stderrPath, contents: nil)
        let process = Process()
        process.executableURL = URL(fileURLWithPath: electionNodeExecutable())
        process.arguments = [configPath]
        process.standardInput = FileHandle.nullDevice
        process.standardOutput = FileHandle(forWritingAtPath: stdoutPath)
        process.standardError = FileHandle(forWritingAtPath: stderrPath)
        let exit = self.exit
        process.terminationHandler = { finished in exit.status.withLock { $0 = finished.terminationStatus } }
        try process.run()
        pid = process.processIdentifier
        self.process = process
    }

    /// The exit status once the process has ended (`terminationStatus`: the signal number if killed).
    var exitStatus: Int32? { exit.status.withLock { $0 } }
    var isRunning: Bool { exitStatus == nil }

    /// Every complete line printed so far.
    var events: [NodeEvent] {
        guard let text = try? String(contentsOfFile: stdoutPath, encoding: .utf8) else { return [] }
        return text.split(separator: "\n").compactMap(NodeEvent.init(line:))
    }

    /// The events named `name`.
    func events(_ name: String) -> [NodeEvent] { events.filter { $0.event == name } }

    /// The last lines of stderr, for failure messages.
    var stderrTail: String {
        let text = (try? String(contentsOfFile: stderrPath, encoding: .utf8)) ?? ""
        return text.split(separator: "\n").suffix(15).joined(separator: "\n")
    }

    /// Sends `signal` to the process if it still runs.
    func send(_ signal: Int32) {
        if isRunning { _ = kill(pid, signal) }
    }

    /// Polls until the process has exited.
    @discardableResult
    func waitForExit(timeout: Duration = .seconds(10)) async -> Bool {
        let deadline = ContinuousClock.now + timeout
        while isRunning, ContinuousClock.now < deadline { try? await Task.sleep(for: .milliseconds(10)) }
        return !isRunning
    }

    /// Polls stdout until a line matches `matching`.
    func waitFor(
        timeout: Duration = .seconds(10), _ what: String, _ matching: (NodeEvent) -> Bool
    ) async throws -> NodeEvent {
        let deadline = ContinuousClock.now + timeout
        while ContinuousClock.now < deadline {
            let exited = !isRunning
            if let found = events.first(where: matching) { return found }
            if exited { break }  // nothing more will come
            try await Task.sleep(for: .milliseconds(20))
        }
        throw NodeTestFailure(
            "\(nodeId) (pid \(pid), exit \(exitStatus.map(String.init) ?? "-")): no \(what) within \(timeout); events \(events); stderr:\n\(stderrTail)")
    }

    /// SIGKILL if still running, then waits for the exit.
    func kill9() async {
        send(SIGKILL)
        await waitForExit(timeout: .seconds(5))
    }
}
