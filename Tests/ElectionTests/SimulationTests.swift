import Foundation
import Testing

@testable import Election

/// Seeded random schedules of 3–5 nodes against a fake KV with TTL, CAS, watch delays, lost requests and
/// replies, partitions, paused and restarted processes, stream-leader outages, clock drift, garbage writes,
/// stepdowns, transfers and eligibility changes. Checked at every step: no two hosts hold the VIP at once;
/// leadership epochs strictly increase (also across expiry and a restart of every node); each node sees
/// epochs only grow; a leader exists within TTL + a bound after the faults heal, and at the end.
///
/// `SC_SIM_SEED=<n>` replays one seed with its full trace; `SC_SIM_COUNT=<n>` changes the number of
/// schedules (default 1500); `SC_SIM_BASE=<n>` the first seed.
@Suite struct SimulationTests {
    static let environment = ProcessInfo.processInfo.environment

    /// Three shards of the seed range, run in parallel by Swift Testing.
    @Test(arguments: 0..<3) func thousandsOfSeededSchedules(shard: UInt64) throws {
        guard Self.environment["SC_SIM_SEED"] == nil else { return }
        let count = (Self.environment["SC_SIM_COUNT"].flatMap(UInt64.init) ?? 1500) / 3
        let base = (Self.environment["SC_SIM_BASE"].flatMap(UInt64.init) ?? 0x5EED_0000) + shard * count
        var total = SimStats()
        var worstRecovery = 0.0
        var worstFreeGap = Duration.zero
        var worstHandover = Duration.zero
        var failures: [SimFailure] = []
        let started = ContinuousClock.now
        for seed in base..<(base + count) {
            var simulator = Simulator(seed: seed)
            if let failure = simulator.run() {
                failures.append(failure)
                if failures.count >= 3 { break }
            }
            total.leaderships += simulator.stats.leaderships
            total.faultWindows += simulator.stats.faultWindows
            total.clusterRestarts += simulator.stats.clusterRestarts
            total.lostMessages += simulator.stats.lostMessages
            total.garbageWrites += simulator.stats.garbageWrites
            let recovery = Double(simulator.stats.recoveredAt ?? 0) / Double(simulator.parameters.ttl)
            worstRecovery = max(worstRecovery, recovery)
            worstFreeGap = max(worstFreeGap, .nanoseconds(simulator.stats.longestFreeGap))
            worstHandover = max(worstHandover, .nanoseconds(simulator.stats.longestHandover))
        }
        print(
            "election simulation shard \(shard): seeds \(base)..<\(base + count), \(count) schedules in \(ContinuousClock.now - started), "
                + "\(total.leaderships) leaderships, \(total.faultWindows) fault windows, "
                + "\(total.clusterRestarts) whole-cluster restarts, \(total.garbageWrites) garbage writes, "
                + "\(total.lostMessages) lost requests/replies; worst time to a leader after healing: "
                + "\(worstRecovery) × TTL; longest free lease with no leader after healing: \(worstFreeGap); "
                + "longest stepdown/transfer handover: \(worstHandover); "
                + "\(failures.count) failures")
        for failure in failures {
            var replay = Simulator(seed: failure.seed, tracing: true)
            _ = replay.run()
            print(replay.trace!.lines.suffix(150).joined(separator: "\n"))
            Issue.record("\(failure) (replay: SC_SIM_SEED=\(failure.seed) swift test --filter SimulationTests)")
        }
    }

    @Test func replaySeedFromEnvironment() throws {
        guard let seed = Self.environment["SC_SIM_SEED"].flatMap(UInt64.init) else { return }
        var simulator = Simulator(seed: seed, tracing: true)
        let failure = simulator.run()
        print(simulator.trace!.lines.joined(separator: "\n"))
        if let failure { Issue.record("\(failure)") }
    }

    @Test func schedulesWhereEveryNodeRestartsKeepEpochsGrowing() throws {
        // The key expires while the whole cluster is down; the fresh nodes remember nothing, yet every
        // epoch after the restart must be above every epoch before it (checked inside the simulator).
        var checked = 0
        var seed: UInt64 = 1
        while checked < 25 {
            var simulator = Simulator(seed: seed)
            seed += 1
            guard simulator.stats.clusterRestarts > 0 else { continue }
            let failure = simulator.run()
            #expect(failure == nil, "\(failure.map(String.init(describing:)) ?? "")")
            #expect(simulator.stats.leaderships > 1)
            checked += 1
        }
    }
}
