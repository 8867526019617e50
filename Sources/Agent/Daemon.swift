import Capabilities
import Cluster
import Election
import Foundation
import Logging
import NATSClient
import Synchronization
import VIP
import VIPWire

/// The agent: the election of a ``Manager`` wired to the VIPs (through ``VIPHolder``), to the state of the
/// required interfaces and to the signals of the service manager.
///
/// Two phases. ``prepare(config:configPath:)`` runs synchronously, first thing in the process, before any
/// other thread exists: it opens the netlink and packet sockets, drops privileges (capability sets are per
/// thread, so threads started later inherit exactly CAP_NET_ADMIN and CAP_NET_RAW) and removes VIPs an
/// earlier run left behind. ``run(signals:)`` then joins the cluster and runs until SIGTERM or SIGINT,
/// which hand over gracefully.
public final class Daemon: Sendable {
    /// The configuration in force.
    public var config: AgentConfig { state.withLock { $0.config } }
    /// Where it was read from (for SIGHUP).
    public let configPath: String?
    /// The VIPs.
    public let holder: VIPHolder
    /// The node's manager.
    public let manager: Manager
    let monitor: NetlinkMonitor
    let services: AgentServices
    let state: Mutex<DaemonState>
    let logger = Logger(label: "swift-cluster")

    struct DaemonState {
        var config: AgentConfig
        var interfaces: InterfaceTracker
        /// Not-eligible reasons by source (`interfaces`, `health`, `maintenance`).
        var reasons: [String: [String]] = [:]
        var eligible = true
    }

    init(
        config: AgentConfig, configPath: String?, holder: VIPHolder, monitor: NetlinkMonitor, manager: Manager,
        services: AgentServices
    ) {
        self.configPath = configPath
        self.services = services
        self.holder = holder
        self.monitor = monitor
        self.manager = manager
        let tracker = InterfaceTracker(required: config.requiredInterfaces, links: monitor.initialLinks)
        state = Mutex(DaemonState(config: config, interfaces: tracker))
    }

    /// The node id.
    public var nodeId: String { manager.node.options.nodeId }

    // MARK: Running

    /// Joins the cluster and runs until SIGTERM/SIGINT; SIGHUP reloads what can change live.
    /// - Parameter signals: The signals to obey (``SignalWatcher/signals``).
    /// - Returns: The exit status: 0 after a graceful stop.
    public func run(signals: AsyncStream<Int32>) async -> Int32 {
        let config = self.config
        logger.info(
            "swift-cluster \(AgentVersion.string) starting: node \(nodeId) of cluster \(config.cluster.clusterId), VIPs \(holder.addresses.joined(separator: ", ")), kernel lease \(holder.kernelLease.applies ? "on" : "off (TTL too short)")")
        await updateEligibility(source: "interfaces", reasons: state.withLock { $0.interfaces.problems })
        // Not before the maintenance flags are read: a node in maintenance must not grab the lease at start.
        await updateEligibility(source: "maintenance", reasons: ["maintenance flags not read yet"])
        await startServices()
        let monitoring = Task { await watchNetwork() }
        let joining = Task {
            await joinUntilConnected()
            services.tellSystemd { try $0.ready(status: "joined cluster \(config.cluster.clusterId)") }
            await stateChanged()
            if let connection = await manager.node.natsConnection { await watchMaintenance(connection: connection) }
        }
        for await signal in signals {
            logger.notice("\(SignalWatcher.name(signal)) received")
            if signal == SIGHUP {
                services.tellSystemd { try $0.reloading() }
                await reload()
                services.tellSystemd { try $0.ready() }
                continue
            }
            break
        }
        services.tellSystemd { try $0.stopping() }
        joining.cancel()
        monitoring.cancel()
        let wasLeader = await manager.node.isLeader
        await manager.leave()
        holder.removeAll(why: "shutting down")
        holder.warden?.disarm()  // the VIPs are gone: the warden exits quietly after this process
        await stopServices()
        logger.notice("stopped\(wasLeader ? " (handed over leadership)" : "")")
        return 0
    }

    /// Starts the node, retrying every reconnect wait while NATS cannot be reached at all.
    func joinUntilConnected() async {
        let wait = max(config.cluster.reconnectWait, .milliseconds(100))
        while !Task.isCancelled {
            do {
                let status = try await manager.join()
                logger.info("joined: leader \(status.leader.isEmpty ? "none" : status.leader), epoch \(status.epoch), this node \(status.role)")
                return
            } catch ManagerError.timeout(let text) {
                logger.warning("joined, but \(text); the node keeps trying")
                return
            } catch {
                logger.error("cannot join the cluster: \(error); retrying in \(wait)")
                try? await Task.sleep(for: wait)
            }
        }
    }

    /// Interface and address events: eligibility from link state; VIPs restored or removed.
    func watchNetwork() async {
        do {
            for try await event in monitor.events() {
                switch event {
                case .addressRemoved(let address):
                    holder.addressChanged(address.address, present: false)
                case .addressAdded(let address):
                    holder.addressChanged(address.address, present: true)
                case .resynchronized(_, let addresses):
                    for vip in holder.vips {
                        holder.addressChanged(vip.address, present: addresses.contains { $0.address == vip.address })
                    }
                default:
                    break
                }
                let problems = state.withLock { state -> [String] in
                    state.interfaces.apply(event)
                    return state.interfaces.problems
                }
                await updateEligibility(source: "interfaces", reasons: problems)
            }
        } catch is CancellationError {
        } catch {
            logger.error("netlink monitor failed: \(error); interfaces are no longer tracked")
        }
    }

    /// Records the not-eligible reasons of one source and tells the node when eligibility flips.
    public func updateEligibility(source: String, reasons: [String]) async {
        let (changed, eligible, all) = state.withLock { state -> (Bool, Bool, [String]) in
            state.reasons[source] = reasons.isEmpty ? nil : reasons
            let all = state.reasons.keys.sorted().flatMap { state.reasons[$0]! }
            let eligible = all.isEmpty
            defer { state.eligible = eligible }
            return (eligible != state.eligible, eligible, all)
        }
        guard changed else { return }
        defer { Task { await stateChanged() } }
        if eligible {
            logger.notice("eligible again: contending for leadership")
        } else {
            logger.warning("not eligible (\(all.joined(separator: "; "))): stepping down and not contending")
        }
        await manager.node.setEligible(eligible)
    }

    /// The reasons the node is not eligible now.
    public var notEligibleBecause: [String] {
        state.withLock { state in state.reasons.keys.sorted().flatMap { state.reasons[$0]! } }
    }

    /// SIGHUP: re-reads the file; applies tracked interfaces live, names what needs a restart.
    func reload() async {
        guard let configPath else { return }
        let fresh: AgentConfig
        do {
            fresh = try AgentConfig.load(fromFile: configPath, hostName: nodeId)
        } catch {
            logger.error("reload: \(error); keeping the running configuration")
            return
        }
        let old = config
        var restart: [String] = []
        if fresh.cluster != old.cluster { restart.append("clusterId/nodeId/nats/election/service") }
        if fresh.vips != old.vips { restart.append("vip/vips") }
        if fresh.user != old.user { restart.append("user") }
        if fresh.tls != old.tls || fresh.nkeySeedFile != old.nkeySeedFile { restart.append("nats.tls/nats.nkeySeedFile") }
        if fresh.announce != old.announce { restart.append("announce") }
        if fresh.metricsListen != old.metricsListen { restart.append("metrics") }
        state.withLock { state in
            state.config.trackInterfaces = fresh.trackInterfaces
            state.config.notify = fresh.notify
            state.config.healthChecks = fresh.healthChecks
            let links = Array(state.interfaces.links.values)
            state.interfaces = InterfaceTracker(required: state.config.requiredInterfaces, links: links)
        }
        logger.notice(
            "reloaded \(configPath): trackInterfaces, notify and healthChecks applied\(restart.isEmpty ? "" : "; changes to \(restart.joined(separator: ", ")) need a restart")")
        await updateEligibility(source: "interfaces", reasons: state.withLock { $0.interfaces.problems })
        if fresh.healthChecks != old.healthChecks { await startHealthChecks(fresh.healthChecks) }
    }
}

/// The agent's version.
public enum AgentVersion {
    /// Semantic version of this build.
    public static let string = "0.1.0"
}
