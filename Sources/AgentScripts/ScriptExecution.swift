import Synchronization

/// One blocking run of a script, meant for a dedicated thread (never the concurrency pool): spawn, collect
/// output, watch the timeout and the cancel flag, stop the process group, reap.
struct ScriptExecution {
    let command: ScriptCommand
    let environment: [String: String]
    let timeout: Duration
    let killGrace: Duration
    let outputLimit: Int
    let cancelled: CancelFlag

    /// How long one wait may last before the cancel flag is looked at again.
    static let slice: Duration = .milliseconds(50)

    func run() -> ScriptResult {
        let clock = ContinuousClock()
        let start = clock.now
        var output = OutputTail(limit: outputLimit)
        guard command.executable.hasPrefix("/") else {
            let message = "executable '\(command.executable)' is not an absolute path"
            return ScriptResult(
                termination: .spawnFailed(errno: 22, message: message),
                duration: clock.now - start,
                output: "",
                outputTruncated: false
            )
        }
        let pid: Int32
        var outputFD: Int32
        switch SpawnSys.spawn(command, environment: environment) {
        case .failure(let error):
            let message = "\(command.executable): \(error.text) (errno \(error.code))"
            return ScriptResult(
                termination: .spawnFailed(errno: error.code, message: message),
                duration: clock.now - start,
                output: "",
                outputTruncated: false
            )
        case .success(let spawned): (pid, outputFD) = spawned
        }
        let pidFD = SpawnSys.pidfd(pid) ?? -1
        let tick: Duration = pidFD >= 0 ? Self.slice : .milliseconds(10)
        var stopping: (reason: ScriptResult.Termination, killAt: ContinuousClock.Instant)?

        while !SpawnSys.hasExited(pid) {
            let now = clock.now
            if let stop = stopping {
                if now >= stop.killAt { SpawnSys.signalGroup(pid, 9) }  // SIGKILL; the leader exits next
            } else if now >= start + timeout || cancelled.isSet {
                SpawnSys.signalGroup(pid, 15)  // SIGTERM
                stopping = (now >= start + timeout ? .timedOut : .cancelled, now + killGrace)
            }
            let next = min(stopping?.killAt ?? start + timeout, now + tick)
            let (outputReady, _) = SpawnSys.poll(outputFD, pidFD, milliseconds: Self.milliseconds(next - now))
            if outputReady, outputFD >= 0, drain(outputFD, into: &output) {
                SpawnSys.close(outputFD)
                outputFD = -1
            }
        }
        if outputFD >= 0 {
            _ = drain(outputFD, into: &output)  // what the leader wrote (bounded: background children may write on)
            SpawnSys.close(outputFD)
        }
        if stopping != nil { SpawnSys.signalGroup(pid, 9) }  // stragglers; the unreaped leader pins the group id
        if pidFD >= 0 { SpawnSys.close(pidFD) }
        let reaped = SpawnSys.reap(pid)
        return ScriptResult(
            termination: stopping?.reason ?? reaped,
            duration: clock.now - start,
            output: output.text,
            outputTruncated: output.truncated
        )
    }

    /// A wait in whole milliseconds for `poll`, rounded up so a deadline is not missed by a hair.
    static func milliseconds(_ wait: Duration) -> Int32 {
        guard wait > .zero else { return 0 }
        let (seconds, attoseconds) = wait.components
        return Int32(clamping: seconds * 1000 + attoseconds / 1_000_000_000_000_000 + 1)
    }

    /// Reads what is available into `output`; true at EOF or on an error (stop reading).
    private func drain(_ fd: Int32, into output: inout OutputTail) -> Bool {
        SpawnSys.readAvailable(fd) { output.append($0) }
    }
}

/// The last `limit` bytes of a stream.
struct OutputTail {
    let limit: Int
    private(set) var bytes: [UInt8] = []
    private(set) var truncated = false

    init(limit: Int) { self.limit = max(0, limit) }

    mutating func append(_ chunk: UnsafeRawBufferPointer) {
        bytes.append(contentsOf: chunk)
        if bytes.count > limit {
            bytes.removeFirst(bytes.count - limit)
            truncated = true
        }
    }

    var text: String { String(decoding: bytes, as: UTF8.self) }
}

/// Set once when the awaiting task is cancelled; read by the running thread.
final class CancelFlag: Sendable {
    private let flag = Atomic<Bool>(false)
    func set() { flag.store(true, ordering: .releasing) }
    var isSet: Bool { flag.load(ordering: .acquiring) }
}
