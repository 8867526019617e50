// bench-election: leader election timings of `Node` on a real nats-server on loopback that this program
// starts (NATSTestSupport): graceful handover, transfer, crash failover at TTL 1 s / heartbeat 250 ms and
// at the defaults (TTL 10 s / heartbeat 3 s). `make bench-election` runs it from a release build.
//
//   bench-election [--quick] [--runs N] [--crash-runs N] [--default-runs N]
import Foundation
import NATSTestSupport

/// Command-line options: how many runs of each scenario.
struct ElectionBenchOptions {
    /// Graceful handovers and transfers.
    var runs = 30
    /// Crashes at TTL 1 s / heartbeat 250 ms.
    var crashRuns = 20
    /// Crashes at the defaults (each takes more than the 10 s TTL).
    var defaultRuns = 20

    struct UsageError: Error, CustomStringConvertible {
        var description: String
    }

    static let usage = "usage: bench-election [--quick] [--runs N] [--crash-runs N] [--default-runs N]"

    /// `--quick` is a smoke check (5 runs each, 3 at the defaults); explicit counts win over it.
    init(_ raw: ArraySlice<String>) throws {
        var rest = raw
        var explicit: [String: Int] = [:]
        while let flag = rest.popFirst() {
            switch flag {
            case "--quick": (runs, crashRuns, defaultRuns) = (5, 5, 3)
            case "--runs", "--crash-runs", "--default-runs":
                guard let value = rest.popFirst(), let n = Int(value), n >= 0 else {
                    throw UsageError(description: "\(flag) wants a number ≥ 0; \(Self.usage)")
                }
                explicit[flag] = n
            case "-h", "--help": throw UsageError(description: Self.usage)
            default: throw UsageError(description: "unknown option \(flag); \(Self.usage)")
            }
        }
        runs = explicit["--runs"] ?? runs
        crashRuns = explicit["--crash-runs"] ?? crashRuns
        defaultRuns = explicit["--default-runs"] ?? defaultRuns
    }
}

/// `nats-server --version`, read on a thread of its own.
func natsServerVersion() async -> String {
    let text = try? await offThread { () throws -> String in
        let process = Process()
        process.executableURL = URL(fileURLWithPath: NATSServer.defaultExecutable)
        process.arguments = ["--version"]
        let pipe = Pipe()
        process.standardOutput = pipe
        try process.run()
        let data = pipe.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        return String(decoding: data, as: UTF8.self)
    }
    return text?.trimmingCharacters(in: .whitespacesAndNewlines) ?? "unknown"
}

/// Runs every scenario against `server` and prints the table.
func runBenchmark(_ options: ElectionBenchOptions, server: NATSServer) async throws {
    let url = server.url
    var rows: [ScenarioRow] = []
    var notes: [String] = []
    func say(_ text: String) {
        // Progress goes to (unbuffered) stderr so that it shows while stdout is a pipe.
        FileHandle.standardError.write(Data("bench-election: \(text)\n".utf8))
    }

    let fast = Timing.fast
    say("graceful handover, \(options.runs) stepdowns, \(fast) ...")
    let graceful =
        if options.runs > 0 {
            try await measureGracefulHandover(url: url, timing: fast, runs: options.runs)
        } else { ScenarioSamples() }
    rows.append(ScenarioRow(
        name: "graceful handover (\(fast))", samples: graceful.values,
        targets: [Target(percentile: 50, limit: .milliseconds(5)), Target(percentile: 99, limit: .milliseconds(20))]))
    notes += graceful.notes

    say("transfer, \(options.runs) transfers, \(fast) ...")
    let transfer =
        if options.runs > 0 { try await measureTransfer(url: url, timing: fast, runs: options.runs) } else { ScenarioSamples() }
    rows.append(ScenarioRow(
        name: "transfer incl. ping of target (\(fast))", samples: transfer.values,
        targets: [Target(percentile: 50, limit: .milliseconds(5))]))

    for (timing, runs) in [(fast, options.crashRuns), (Timing.defaults, options.defaultRuns)] {
        let estimate = Int((timing.ttl + timing.heartbeat).milliseconds / 1000 * Double(runs))
        say("crash failover, \(runs) crashes, \(timing) (≈ \(estimate) s or more) ...")
        let crash =
            if runs > 0 {
                try await measureCrashFailover(url: url, timing: timing, runs: runs) { done in
                    if timing.ttl >= .seconds(5) { say("  \(done)/\(runs) crashes done") }
                }
            } else { CrashSamples() }
        rows.append(ScenarioRow(
            name: "crash failover beyond TTL (\(timing))", samples: crash.beyondTTL.values,
            targets: [Target(percentile: 50, limit: .milliseconds(50))]))
        rows.append(ScenarioRow(name: "  same, server store time as reference", samples: crash.beyondServerTTL.values))
        rows.append(ScenarioRow(name: "  total outage, crash → new leader", samples: crash.outage.values))
        notes += crash.beyondTTL.notes
    }

    print("")
    printTable(rows)
    print("")
    print("Times end at the new leader's OnBecomeLeader hook (ContinuousClock.now taken inside the hook).")
    print("graceful: from just before `await leader.stepDown()`; transfer: from just before")
    print("  `await leader.transfer(to:)`, which first pings the target over NATS (part of the time).")
    print("crash: the leader's NATS connection is closed under it (no stepdown); beyond TTL = OnBecomeLeader −")
    print("  (instant an observer connection's watch of the `leader` key delivered the crashed leader's last")
    print("  renewal + TTL); a replacement node joins after each crash, so there are always 3 nodes.")
    print("  \"server store time as reference\": the renewal's JetStream timestamp (same host clock) instead of")
    print("  its delivery to the observer: the lease's actual expiry; negative values in the first row mean the")
    print("  observer saw the renewal late, not an early takeover.")
    print("Percentiles: nearest rank (sorted sample at rank ⌈p/100 · n⌉); median = p50; with n < 100, p99 = max.")
    for note in notes { print(note) }
}

#if DEBUG
let buildKind = "DEBUG build (numbers are not representative; use -c release)"
#else
let buildKind = "release build"
#endif

let options: ElectionBenchOptions
do {
    options = try ElectionBenchOptions(CommandLine.arguments.dropFirst())
} catch {
    print("bench-election: \(error)")
    exit(2)
}
let load = (try? String(contentsOfFile: "/proc/loadavg", encoding: .utf8))?.split(separator: " ").prefix(3)
    .joined(separator: " ") ?? "?"
print("bench-election: \(buildKind); \(await natsServerVersion()) on loopback (JetStream, one server, R1 bucket);")
print("bench-election: host \(ProcessInfo.processInfo.activeProcessorCount) CPUs, load average \(load); "
    + "3 nodes per scenario, each on its own connection, fresh cluster id (bucket) per scenario.")
let server = try await NATSServer.launch()
var failed = false
do {
    try await runBenchmark(options, server: server)
} catch {
    print("bench-election: FAILED: \(error)")
    print(server.logTail())
    failed = true
}
try? await offThread {
    server.kill()
    server.remove()
}
exit(failed ? 1 : 0)
