import Cluster
import Foundation

/// The measured durations of one scenario, plus remarks for the report.
struct ScenarioSamples {
    var values: [Duration] = []
    var notes: [String] = []
}

/// Runs `body` on a fresh cluster of three nodes and shuts the cluster down whether it threw or not.
func withCluster<T>(
    url: String, timing: Timing, _ body: (inout BenchCluster) async throws -> T
) async throws -> T {
    var cluster = try await BenchCluster(url: url, timing: timing)
    do {
        let result = try await body(&cluster)
        await cluster.shutdown()
        return result
    } catch {
        await cluster.shutdown()
        throw error
    }
}

/// How long to wait for a cluster to agree on a leader (first election, after a crash, after a join).
func agreementTimeout(_ timing: Timing) -> Duration { timing.ttl * 3 + .seconds(10) }

/// Graceful handover, `runs` times on one cluster: from just before `await leader.stepDown()` to the
/// instant a different node's OnBecomeLeader runs.
///
/// A node that stepped down stays out for the cooldown (= TTL), so before each stepdown the benchmark
/// waits, if need be, until at least one of the other nodes is past its own cooldown (+ 200 ms): every
/// handover then has a node that can take over at once, as in a cluster that does not step down in a loop.
func measureGracefulHandover(url: String, timing: Timing, runs: Int) async throws -> ScenarioSamples {
    try await withCluster(url: url, timing: timing) { cluster in
        var samples = ScenarioSamples()
        var steppedDownAt: [Int: ContinuousClock.Instant] = [:]
        var (leader, epoch) = try await cluster.waitForAgreedLeader(timeout: agreementTimeout(timing))
        var waited = Duration.zero
        for _ in 0..<runs {
            let readyAt = cluster.live.filter { $0 != leader }
                .map { index in steppedDownAt[index].map { at in at + timing.ttl + .milliseconds(200) } ?? .now }
                .min() ?? .now
            if readyAt > .now {
                waited += readyAt - .now
                try await Task.sleep(until: readyAt, clock: .continuous)
            }
            let asked = ContinuousClock.now
            try await cluster.nodes[leader].stepDown()
            steppedDownAt[leader] = asked
            let new = try await cluster.waitForNewLeader(after: epoch, excluding: leader, timeout: agreementTimeout(timing))
            samples.values.append(new.at - asked)
            (leader, epoch) = try await cluster.waitForAgreedLeader(timeout: agreementTimeout(timing))
        }
        samples.notes.append("graceful: waited \(String(format: "%.1f", waited.milliseconds / 1000)) s in total for cooldowns to pass between runs (not measured)")
        return samples
    }
}

/// Transfer, `runs` times on one cluster, always to the next live node: from just before
/// `await leader.transfer(to:)` to the target's OnBecomeLeader. `transfer` pings the target over NATS
/// first (a request/reply round trip); that ping is part of the measured time.
func measureTransfer(url: String, timing: Timing, runs: Int) async throws -> ScenarioSamples {
    try await withCluster(url: url, timing: timing) { cluster in
        var samples = ScenarioSamples()
        var (leader, epoch) = try await cluster.waitForAgreedLeader(timeout: agreementTimeout(timing))
        for _ in 0..<runs {
            let live = cluster.live
            let target = live[(live.firstIndex(of: leader)! + 1) % live.count]
            let asked = ContinuousClock.now
            try await cluster.nodes[leader].transfer(to: cluster.ids[target])
            let new = try await cluster.waitForNewLeader(after: epoch, excluding: leader, timeout: agreementTimeout(timing))
            guard new.index == target else {
                throw BenchFailure("transfer to \(cluster.ids[target]) elected \(cluster.ids[new.index])")
            }
            samples.values.append(new.at - asked)
            (leader, epoch) = try await cluster.waitForAgreedLeader(timeout: agreementTimeout(timing))
        }
        return samples
    }
}

/// The two numbers of crash failover.
struct CrashSamples {
    /// New leader's OnBecomeLeader − (last observed renewal of the crashed leader + TTL).
    var beyondTTL = ScenarioSamples()
    /// New leader's OnBecomeLeader − (server's store time of that renewal + TTL): the same with the
    /// observer's delivery lag taken out (cross-check).
    var beyondServerTTL = ScenarioSamples()
    /// New leader's OnBecomeLeader − the crash.
    var outage = ScenarioSamples()
}

/// Crash failover, `runs` times on one cluster: the leader's connection is closed under it (no stepdown),
/// a follower takes over once the lease has expired on the server; the crashed node is then stopped and a
/// fresh node joins, so every crash happens in a cluster of three.
///
/// Reference for "beyond the TTL": the lease expires on the server TTL after its last write, so the
/// reference is the instant the observer's watch delivered the crashed leader's last write (its highest
/// revision under that epoch; a renewal already on its way when the connection closed counts, since the
/// server stored it). The crash's phase against the renewal period is randomised.
func measureCrashFailover(url: String, timing: Timing, runs: Int, progress: (Int) -> Void) async throws
    -> CrashSamples
{
    try await withCluster(url: url, timing: timing) { cluster in
        var result = CrashSamples()
        var lateRenewals = 0
        var lags: [Duration] = []
        for run in 0..<runs {
            let (leader, epoch) = try await cluster.waitForAgreedLeader(timeout: agreementTimeout(timing))
            _ = try await cluster.waitForObserved(leader, epoch: epoch, timeout: .seconds(5))
            try await Task.sleep(for: timing.heartbeat * Double.random(in: 0..<1))
            let crashedAt = await cluster.crash(leader)
            let new = try await cluster.waitForNewLeader(after: epoch, excluding: leader, timeout: agreementTimeout(timing))
            let acquisition = try await cluster.waitForObserved(new.index, epoch: new.epoch, timeout: .seconds(5))
            guard let last = cluster.observer?.lastWrite(by: cluster.ids[leader], epoch: epoch),
                last.revision < acquisition.revision
            else { throw BenchFailure("no renewal of \(cluster.ids[leader])@\(epoch) observed before the takeover") }
            if last.storedAt > crashedAt { lateRenewals += 1 }
            result.beyondTTL.values.append(new.at - (last.at + timing.ttl))
            result.beyondServerTTL.values.append(new.at - (last.storedAt + timing.ttl))
            result.outage.values.append(new.at - crashedAt)
            lags.append(last.deliveryLag)
            await cluster.retire(leader)
            try await cluster.addNode()
            progress(run + 1)
        }
        result.beyondTTL.notes.append(
            "crash \(timing): in \(lateRenewals) of \(runs) runs the last renewal was stored after the close "
                + "(in flight) and is the reference; observer delivery lag of that renewal (wall clock − "
                + "server store time): median \(ms(percentile(lags, 50))), max \(ms(lags.max() ?? .zero))")
        return result
    }
}
