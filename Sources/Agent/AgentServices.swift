import AgentScripts
import Cluster
import ClusterMetrics
import Election
import Foundation
import Synchronization
import SystemdNotify

/// The daemon's side services: notify scripts, health checks, sd_notify and the metrics endpoint.
final class AgentServices: Sendable {
    let metrics = AgentMetrics()
    let notifier: SystemdNotifier?
    let scripts = Mutex<NotifyScripts?>(nil)
    let checks = Mutex<[HealthCheck]>([])
    let server = Mutex<MetricsServer?>(nil)
    let watchdog = Mutex<Task<Void, Never>?>(nil)
    /// The last state the notify scripts were told about.
    let notified = Mutex<NotifyState?>(nil)
    let health = Mutex<[String: Bool]>([:])

    init() {
        do {
            notifier = try SystemdNotifier.fromEnvironment()
        } catch {
            AgentLogHandler.write(.warning, "NOTIFY_SOCKET unusable: \(error)")
            notifier = nil
        }
    }

    /// Tells systemd, logging (never failing) when it cannot.
    func tellSystemd(_ body: (SystemdNotifier) throws -> Void) {
        guard let notifier else { return }
        do { try body(notifier) } catch { AgentLogHandler.write(.warning, "sd_notify: \(error)") }
    }
}

/// The guard the node calls: the VIPs first, then the renewal metrics.
struct DaemonGuard: LeadershipGuard {
    let holder: VIPHolder
    let metrics: AgentMetrics
    /// TTL − safety margin: how far past a renewal's send time its deadline lies.
    let validity: Duration

    func leadershipGranted(epoch: UInt64, validUntil: ContinuousClock.Instant) {
        holder.leadershipGranted(epoch: epoch, validUntil: validUntil)
        metrics.setVIPsHeld(holder.vips.count)
    }

    func leadershipExtended(epoch: UInt64, validUntil: ContinuousClock.Instant) {
        holder.leadershipExtended(epoch: epoch, validUntil: validUntil)
        metrics.recordRenewalLatency(ContinuousClock.now - (validUntil - validity))
    }

    func leadershipRevoked(reason: LeadershipLossReason) {
        holder.leadershipRevoked(reason: reason)
        metrics.setVIPsHeld(0)
    }
}

extension Daemon {
    /// Starts notify scripts, health checks, the metrics endpoint and the watchdog.
    func startServices() async {
        let config = self.config
        let log: @Sendable (String) -> Void = { AgentLogHandler.write(.warning, $0) }
        if !config.notify.isEmpty {
            let scripts = NotifyScriptsConfig(
                master: config.notify.master.map { ScriptCommand(executable: $0) },
                backup: config.notify.backup.map { ScriptCommand(executable: $0) },
                fault: config.notify.fault.map { ScriptCommand(executable: $0) }, timeout: config.notify.timeout)
            services.scripts.withLock { $0 = NotifyScripts(config: scripts, log: log) }
        }
        await startHealthChecks(config.healthChecks)
        if let listen = config.metricsListen {
            do {
                let server = try await MetricsServer.start(host: listen.host, port: listen.port, registry: services.metrics.registry)
                services.server.withLock { $0 = server }
                logger.info("metrics on http://\(listen)/metrics")
            } catch {
                logger.error("metrics endpoint not started: \(error)")
            }
        }
        if let interval = SystemdNotifier.watchdogInterval() {
            let services = self.services
            services.watchdog.withLock {
                $0 = Task {
                    while !Task.isCancelled {
                        services.tellSystemd { try $0.watchdog() }
                        try? await Task.sleep(for: interval)
                    }
                }
            }
        }
        services.metrics.setEligible(true)
    }

    /// (Re)starts the health checks; each one's verdict is a not-eligible reason while failing.
    func startHealthChecks(_ configs: [HealthCheckConfig]) async {
        let old = services.checks.withLock { checks -> [HealthCheck] in
            defer { checks = [] }
            return checks
        }
        for check in old { await check.stop() }
        services.health.withLock { $0 = [:] }
        var started: [HealthCheck] = []
        for config in configs {
            guard let command = config.command.first else { continue }
            do {
                let runtime = try AgentScripts.HealthCheckConfig(
                    name: config.name, command: ScriptCommand(executable: command, arguments: Array(config.command.dropFirst())),
                    interval: config.interval, timeout: config.timeout, fall: config.fall, rise: config.rise)
                let name = config.name
                services.health.withLock { $0[name] = true }
                services.metrics.setHealthCheck(name, healthy: true)
                let check = HealthCheck(config: runtime) { [weak self] healthy in
                    guard let self else { return }
                    Task { await self.healthChanged(name, healthy: healthy) }
                }
                await check.start()
                started.append(check)
            } catch {
                logger.error("health check \(config.name) not started: \(error)")
            }
        }
        services.checks.withLock { $0 = started }
    }

    func healthChanged(_ name: String, healthy: Bool) async {
        logger.notice("health check \(name) is \(healthy ? "healthy again" : "failing")")
        services.metrics.setHealthCheck(name, healthy: healthy)
        let failing = services.health.withLock { health -> [String] in
            health[name] = healthy
            return health.filter { !$0.value }.keys.sorted()
        }
        await updateEligibility(source: "health", reasons: failing.map { "health check \($0) failing" })
    }

    /// Health check states for the status endpoint.
    var healthStates: [String: String] {
        services.health.withLock { $0.mapValues { $0 ? "healthy" : "failing" } }
    }

    /// Stops everything `startServices` started; lets queued notify scripts finish.
    func stopServices() async {
        services.watchdog.withLock { $0?.cancel() }
        for check in services.checks.withLock({ $0 }) { await check.stop() }
        if let server = services.server.withLock({ $0 }) { try? await server.stop() }
        if let scripts = services.scripts.withLock({ $0 }) { await scripts.finish() }
    }

    /// After any change: the notify state (master/backup/fault), sd_notify STATUS, metrics.
    func stateChanged() async {
        let node = manager.node
        let (leader, epoch, isLeader, connected) = (await node.leader, await node.epoch, await node.isLeader, await node.connected)
        let eligible = state.withLock { $0.eligible }
        let settled = await node.electionSettled
        services.metrics.setRole(leader: isLeader)
        services.metrics.setEpoch(epoch)
        services.metrics.setNATSConnected(connected)
        services.metrics.setEligible(eligible)
        let role = isLeader ? "PRIMARY" : "PASSIVE"
        services.tellSystemd {
            try $0.status("\(role); leader \(leader ?? "none"), epoch \(epoch)\(eligible ? "" : "; not eligible")")
        }
        let next: NotifyState
        if isLeader {
            next = .master
        } else if !eligible || !connected {
            next = .fault
        } else if settled {
            next = .backup
        } else {
            return
        }
        let previous = services.notified.withLock { notified -> NotifyState? in
            defer { notified = next }
            return notified
        }
        guard previous != next, let scripts = services.scripts.withLock({ $0 }) else { return }
        let environment = [
            "CLUSTER_ID": config.cluster.clusterId, "NODE_ID": nodeId, "ROLE": role, "STATE": next.rawValue.uppercased(),
            "EPOCH": "\(epoch)", "LEADER": leader ?? "", "VIPS": holder.addresses.joined(separator: " "),
            "REASON": notEligibleBecause.joined(separator: "; "),
        ]
        scripts.notify(next, environment: environment)
    }
}
