import Capabilities
import Cluster
import Foundation
import NATSClient
import VIP
import VIPWire

#if canImport(Glibc)
import Glibc
#endif

/// Why the daemon could not start, with the exit status for each kind (`sysexits.h`).
public struct DaemonError: Error, Sendable, CustomStringConvertible {
    /// The exit status.
    public var exitCode: Int32
    /// What failed.
    public var description: String

    /// A configuration problem found only at start-up (an unreadable key file): 78 (`EX_CONFIG`).
    public static func config(_ text: String) -> DaemonError { DaemonError(exitCode: 78, description: text) }
    /// A socket could not be opened: 71 (`EX_OSERR`).
    public static func system(_ text: String) -> DaemonError { DaemonError(exitCode: 71, description: text) }
    /// Missing privileges: 77 (`EX_NOPERM`).
    public static func permission(_ text: String) -> DaemonError { DaemonError(exitCode: 77, description: text) }
}

extension Daemon {
    /// The privileged, single-threaded part of start-up. Call it before anything starts a thread.
    ///
    /// Opens the sockets, drops to `config.user` keeping CAP_NET_ADMIN and CAP_NET_RAW (or trims the
    /// capabilities of an unprivileged user started with ambient ones), removes VIPs left behind by an
    /// earlier run, and builds the node.
    /// - Parameters:
    ///   - config: The validated configuration.
    ///   - configPath: The file it came from, re-read on SIGHUP.
    /// - Throws: ``DaemonError``.
    public static func prepare(config: AgentConfig, configPath: String?) throws(DaemonError) -> Daemon {
        let log: @Sendable (String) -> Void = { AgentLogHandler.write(.info, $0) }
        let netlink: RouteNetlink
        let announcer: Announcer?
        let monitor: NetlinkMonitor
        do {
            netlink = try RouteNetlink.open()
            monitor = try NetlinkMonitor()
        } catch {
            throw .system("cannot open a netlink socket: \(error)")
        }
        do {
            announcer = config.announce.count > 0 && !config.vips.isEmpty ? try Announcer.open() : nil
        } catch {
            throw .permission("cannot open a packet socket for announcements (needs CAP_NET_RAW): \(error)")
        }
        let nkeySeed = try readNKeySeed(config)
        try dropPrivileges(config, log: log)
        let warden = try startWarden(config, log: log)

        let vips = config.vips.compactMap { VIPConfiguration(cidr: $0.cidr, interface: $0.interface) }
        let policy = AnnouncementPolicy(
            arpForm: .request, count: max(1, config.announce.count), interval: config.announce.interval,
            secondBurstAfter: .seconds(5), refreshInterval: config.announce.refresh)
        let holder = VIPHolder(
            vips: vips, netlink: netlink, announcer: announcer, policy: policy,
            kernelLease: KernelLease(election: config.cluster.electionConfig), warden: warden, log: log)
        holder.removeAll(why: "start-up (left behind by an earlier run that may no longer lead)")

        var options = NodeOptions(config: config.cluster, log: { AgentLogHandler.write(.info, $0) })
        options.nats.nkeySeed = nkeySeed
        options.bucketReplicas = config.bucketReplicas
        if let tls = config.tls {
            options.nats.tls = TLSOptions(caFile: tls.ca, certificateFile: tls.cert, keyFile: tls.key)
        }
        let manager: Manager
        do {
            let box = DaemonBox()
            let services = AgentServices()
            options.statusDetails = { box.details() }
            let election = config.cluster.electionConfig
            let guardian = DaemonGuard(
                holder: holder, metrics: services.metrics, validity: election.leaseTTL - election.safetyMargin)
            manager = try Manager(options: options, hooks: AgentHooks(box: box), leadershipGuard: guardian)
            let daemon = Daemon(
                config: config, configPath: configPath, holder: holder, monitor: monitor, manager: manager,
                services: services)
            box.daemon = daemon
            return daemon
        } catch {
            throw .config("\(error)")
        }
    }

    static func readNKeySeed(_ config: AgentConfig) throws(DaemonError) -> String? {
        guard let path = config.nkeySeedFile else { return nil }
        do {
            let text = try String(contentsOfFile: path, encoding: .utf8)
            guard let seed = text.split(whereSeparator: \.isWhitespace).first(where: { $0.hasPrefix("SU") }) else {
                throw DaemonError.config("nats.nkeySeedFile: \(path) holds no user seed (a line starting with SU)")
            }
            return String(seed)
        } catch let error as DaemonError {
            throw error
        } catch {
            throw .config("nats.nkeySeedFile: cannot read \(path): \(error.localizedDescription)")
        }
    }

    static func dropPrivileges(_ config: AgentConfig, log: @Sendable (String) -> Void) throws(DaemonError) {
        let now = ProcessPrivileges.current()
        let user: String
        if let configured = config.user {
            user = configured
        } else if now.euid != 0, let name = Self.userName(uid: now.euid) {
            user = name  // started unprivileged with ambient capabilities: trim to exactly the two we need
        } else {
            log("running as root: set \"user\" in the configuration to drop to an unprivileged user")
            return
        }
        do {
            let result = try PrivilegeDrop.drop(PrivilegeDropOptions(user: user))
            log("running as \(user) (uid \(result.euid)) with CAP_NET_ADMIN and CAP_NET_RAW only")
        } catch {
            throw .permission("cannot drop privileges to \(user): \(error)")
        }
    }

    /// Forks the fence warden when there are VIPs to guard. Still single-threaded here, and after the drop:
    /// the warden keeps the dropped user and CAP_NET_ADMIN, all its netlink socket needs.
    static func startWarden(_ config: AgentConfig, log: @escaping @Sendable (String) -> Void) throws(DaemonError)
        -> FenceWarden?
    {
        guard !config.vips.isEmpty else { return nil }
        do {
            let warden = try FenceWarden.start(log: { AgentLogHandler.write(.warning, $0) })
            log("fence warden pid \(warden.pid) guards the VIPs")
            return warden
        } catch {
            throw .system("cannot start the fence warden: \(error)")
        }
    }

    static func userName(uid: UInt32) -> String? {
        guard let entry = getpwuid(uid), let name = entry.pointee.pw_name else { return nil }
        return String(cString: name)
    }
}

/// Breaks the cycle between the daemon and the hooks/status closures built before it.
final class DaemonBox: @unchecked Sendable {
    // Written once in `prepare`, before the node starts; read-only afterwards.
    nonisolated(unsafe) weak var daemon: Daemon?

    func details() -> NodeStatusDetails {
        guard let daemon else { return NodeStatusDetails() }
        let health = daemon.healthStates
        return NodeStatusDetails(
            vips: daemon.holder.isHolding ? daemon.holder.addresses : [], notEligibleBecause: daemon.notEligibleBecause,
            health: health.isEmpty ? nil : health)
    }
}

/// The agent's hooks: log each change, then update notify scripts, sd_notify and metrics.
struct AgentHooks: ClusterHooks {
    let box: DaemonBox

    func onBecomeLeader(epoch: UInt64) async throws {
        AgentLogHandler.write(.notice, "became leader at epoch \(epoch)")
        await box.daemon?.stateChanged()
    }

    func onLoseLeadership() async throws {
        AgentLogHandler.write(.notice, "no longer leader")
        await box.daemon?.stateChanged()
    }

    func onLeaderChange(nodeId: String?, epoch: UInt64?) async throws {
        AgentLogHandler.write(.info, "leader is now \(nodeId ?? "nobody")\(epoch.map { " (epoch \($0))" } ?? "")")
        box.daemon?.services.metrics.recordLeaderChange()
        await box.daemon?.stateChanged()
    }

    func onNATSReconnect() async throws {
        AgentLogHandler.write(.notice, "NATS connection restored")
        await box.daemon?.stateChanged()
    }

    func onNATSDisconnect(error: (any Error)?) async throws {
        AgentLogHandler.write(.warning, "NATS connection lost\(error.map { ": \($0)" } ?? "")")
        await box.daemon?.stateChanged()
    }
}
