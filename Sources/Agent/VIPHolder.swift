import Cluster
import Election
import Foundation
import Synchronization
import VIP
import VIPWire

/// Holds the VIPs exactly while the lease says so: the agent's ``LeadershipGuard``.
///
/// Called synchronously by the node, in step with the election: on a grant it adds every VIP and sends the
/// first announcement at once (the rest of the burst follows in a task); on every renewal it extends the
/// addresses' kernel lifetime; on any loss of leadership it removes them before anything else happens.
///
/// **The kernel lease.** When the timers allow it (``KernelLease``), every VIP is added with a kernel
/// `valid_lft` that ends before the node's self-fencing deadline, and renewed with each lease renewal. If the
/// agent is SIGKILLed, hangs or is paused, the kernel deletes the VIP before any other node can acquire the
/// lease: no second holder even when this process cannot act any more.
///
/// **The fence warden.** With a ``FenceWarden`` the holder arms it with the self-fencing deadline and the
/// VIPs' delete requests before adding them, re-arms it at every renewal and disarms it after removing them:
/// the warden removes the VIPs when this process dies or stops renewing, whatever the lease timing.
public final class VIPHolder: LeadershipGuard, Sendable {
    /// The VIPs, without lifetimes.
    public let vips: [VIPConfiguration]
    let netlink: RouteNetlink
    let announcer: Announcer?
    let policy: AnnouncementPolicy
    /// Whether VIPs carry a kernel lifetime.
    public let kernelLease: KernelLease
    /// The fence warden, if one runs.
    public let warden: FenceWarden?
    let log: @Sendable (String) -> Void
    let state = Mutex(HolderState())

    struct HolderState {
        var holding = false
        var epoch: UInt64 = 0
        var validUntil: ContinuousClock.Instant?
        var announcing: Task<Void, Never>?
        var refreshing: Task<Void, Never>?
        var changes: UInt64 = 0
        /// The warden's delete requests, resolved at the grant (the interfaces' indexes then).
        var fenceRequests: [UInt8] = []
    }

    /// Creates a holder over open sockets.
    /// - Parameters:
    ///   - vips: The VIPs (lifetimes are set here, not by the caller).
    ///   - netlink: Route netlink.
    ///   - announcer: GARP/NA sender; `nil` to stay silent.
    ///   - policy: Announcement count, interval, refresh.
    ///   - kernelLease: Whether addresses carry a kernel lifetime.
    ///   - warden: The fence warden to keep armed while leader; `nil` for none.
    ///   - log: Diagnostics sink.
    public init(
        vips: [VIPConfiguration], netlink: RouteNetlink, announcer: Announcer?, policy: AnnouncementPolicy,
        kernelLease: KernelLease, warden: FenceWarden? = nil, log: @escaping @Sendable (String) -> Void
    ) {
        self.vips = vips.map { var vip = $0; vip.lifetime = nil; return vip }
        self.netlink = netlink
        self.announcer = announcer
        self.policy = policy
        self.kernelLease = kernelLease
        self.warden = warden
        self.log = log
    }

    /// Whether the holder believes it holds the VIPs (leadership granted and not revoked).
    public var isHolding: Bool { state.withLock { $0.holding } }

    /// The VIPs' addresses as text (`198.18.0.100/24`).
    public var addresses: [String] { vips.map { "\($0.address)/\($0.prefixLength)" } }

    // MARK: LeadershipGuard

    public func leadershipGranted(epoch: UInt64, validUntil: ContinuousClock.Instant) {
        state.withLock {
            $0.holding = true
            $0.epoch = epoch
            $0.validUntil = validUntil
        }
        armWarden(until: validUntil, resolve: true)  // before any VIP exists
        install(validUntil: validUntil, announce: true, why: "leader at epoch \(epoch)")
    }

    public func leadershipExtended(epoch: UInt64, validUntil: ContinuousClock.Instant) {
        let previous = state.withLock { state in
            defer { state.validUntil = validUntil }
            return state.validUntil
        }
        armWarden(until: validUntil, resolve: false)
        // Re-adding with `replace` refreshes the lifetime in place; an address that expired meanwhile (the
        // renewals were late) is created again, and then announced.
        if kernelLease.applies {
            install(validUntil: validUntil, announce: false, why: "renewal")
        } else if let previous, previous <= .now {
            // Renewed only once the old deadline had passed: the fence warden removed the VIPs then, and a
            // removal seen past a deadline is not restored. Adds back and announces whatever is missing.
            install(validUntil: validUntil, announce: false, why: "renewal after the fence deadline")
        }
    }

    public func leadershipRevoked(reason: LeadershipLossReason) {
        let (announcing, refreshing) = state.withLock { state in
            state.holding = false
            state.validUntil = nil
            defer { state.announcing = nil; state.refreshing = nil }
            return (state.announcing, state.refreshing)
        }
        announcing?.cancel()
        refreshing?.cancel()
        removeAll(why: "lost leadership (\(reason))")
        warden?.disarm()  // only once the VIPs are gone
    }

    /// Arms the warden with the deadline; `resolve` looks the interfaces up again (their indexes may have
    /// changed since the last grant), otherwise the requests of the grant are reused.
    func armWarden(until: ContinuousClock.Instant, resolve: Bool) {
        guard let warden else { return }
        var requests = state.withLock { $0.fenceRequests }
        if resolve || requests.isEmpty {
            do {
                requests = try VIPManager(vips: vips, netlink: netlink, announcer: nil, policy: policy).removalRequests()
            } catch {
                log("fence warden: cannot look up the VIPs' interfaces: \(error)")
            }
            state.withLock { $0.fenceRequests = requests }
        }
        warden.arm(until: until, deleteRequests: requests)
    }

    // MARK: Maintenance

    /// Removes every configured VIP that is present: at start-up (an address left behind by a crash of a
    /// previous incarnation that may no longer own the lease) and at exit.
    /// - Returns: The addresses removed.
    @discardableResult
    public func removeAll(why: String) -> [String] {
        let manager = VIPManager(vips: vips, netlink: netlink, announcer: nil, policy: policy)
        do {
            let removed = try manager.release()
            let names = zip(addresses, removed).filter(\.1).map(\.0)
            if !names.isEmpty { log("removed \(names.joined(separator: ", ")): \(why)") }
            return names
        } catch {
            log("removing the VIPs failed (\(why)): \(error)")
            return []
        }
    }

    /// A VIP disappeared (`RTM_DELADDR`) or appeared (`RTM_NEWADDR`): restore a missing one while holding (before the deadline),
    /// remove a stray one while not.
    /// - Parameter address: The address concerned.
    public func addressChanged(_ address: IPAddress, present: Bool) {
        guard vips.contains(where: { $0.address == address }) else { return }
        let (holding, validUntil) = state.withLock { ($0.holding, $0.validUntil) }
        if holding, !present, let validUntil {
            // Past the deadline the leadership is over even if the node has not said so yet (the fence
            // warden fires at that same instant): restoring would only flap the VIP.
            guard validUntil > .now else { return }
            log("\(address) was removed by someone else while leader: restoring and announcing it")
            armWarden(until: validUntil, resolve: true)  // the interface may be a new one
            install(validUntil: validUntil, announce: true, why: "restore")
        } else if !holding, present {
            log("\(address) appeared while not leader: removing it (only the leader may hold it)")
            removeAll(why: "stray address while not leader")
        }
    }

    /// Adds the VIPs with a lifetime ending before `validUntil` (or none, without a kernel lease).
    func install(validUntil: ContinuousClock.Instant, announce: Bool, why: String) {
        let lifetime: AddressLifetime?
        switch kernelLease.lifetime(until: validUntil, now: .now) {
        case .forever: lifetime = nil
        case .seconds(let seconds): lifetime = AddressLifetime(valid: seconds)
        case .tooShort:
            log("not adding the VIPs (\(why)): the leadership ends in under 2 s, too soon for a kernel lifetime")
            return
        }
        let withLifetime = vips.map { var vip = $0; vip.lifetime = lifetime; return vip }
        let quiet = VIPManager(vips: withLifetime, netlink: netlink, announcer: nil, policy: policy)
        let loud = VIPManager(vips: withLifetime, netlink: netlink, announcer: announcer, policy: policy)
        var added: [Bool] = []
        do {
            // Added and first announcement in one go when announcing; renewals stay silent.
            added = try (announce ? loud : quiet).acquire()
        } catch {
            log("adding the VIPs failed (\(why)): \(error)")
        }
        let names = zip(addresses, added).filter(\.1).map(\.0)
        if !names.isEmpty {
            log("added \(names.joined(separator: ", "))\(lifetime.map { " valid_lft \($0.valid)s" } ?? ""): \(why)")
        }
        if announcer != nil, announce || !names.isEmpty { startAnnouncing(loud, fullBurst: !announce) }
    }

    /// The rest of the burst (or a full one), then periodic refreshes, until leadership ends.
    func startAnnouncing(_ manager: VIPManager, fullBurst: Bool) {
        let refresh = policy.refreshInterval
        let log = self.log
        let task = Task {
            do {
                if fullBurst { try await manager.reannounce() } else { try await manager.announce() }
            } catch is CancellationError { return } catch {
                log("announcing failed: \(error)")
            }
            guard let refresh else { return }
            while !Task.isCancelled {
                do {
                    try await Task.sleep(for: refresh)
                    try await manager.reannounce()
                } catch is CancellationError { return } catch { log("re-announcing failed: \(error)") }
            }
        }
        let (previous, holding) = state.withLock { state -> (Task<Void, Never>?, Bool) in
            defer { if state.holding { state.announcing = task } }
            return (state.announcing, state.holding)
        }
        previous?.cancel()
        if !holding { task.cancel() }
    }
}

/// Whether and how long VIPs live in the kernel on their own: the kernel lease.
///
/// The kernel deletes an address whose `valid_lft` ran out, in whole seconds and up to about two seconds
/// late (its expiry work is rounded up to whole seconds, IPv6 adds fuzz). A lifetime set at `t` therefore
/// ends by `t + valid_lft + 2 s`, and the holder picks `valid_lft = ⌊validUntil − t − 2 s⌋`, so the address
/// is gone before the self-fencing deadline even if the agent never runs again. Renewals must keep up:
/// `valid_lft` at a renewal must outlast the next heartbeat plus a second, so the kernel lease applies when
/// `leaseTtl − safetyMargin ≥ heartbeat + 4 s` (the defaults 10 s / 3 s: yes; 3 s / 1 s: no). Below that,
/// VIPs are added without a lifetime and the agent relies on its self-fencing timer while it runs and on
/// removing stale VIPs when it starts again.
public struct KernelLease: Sendable, Equatable {
    /// Slack for the kernel's late expiry.
    public static let kernelSlack: Duration = .seconds(2)

    /// Whether VIPs carry a kernel lifetime.
    public let applies: Bool

    /// Decides from the election timing.
    public init(election: ElectionConfig) {
        applies = election.leaseTTL - election.safetyMargin >= election.heartbeatInterval + .seconds(4)
    }

    /// Forces the decision (tests).
    public init(applies: Bool) { self.applies = applies }

    /// A lifetime decision.
    public enum Lifetime: Sendable, Equatable {
        /// No kernel lease: no lifetime.
        case forever
        /// `valid_lft` in seconds.
        case seconds(UInt32)
        /// The deadline is too close for any lifetime: do not add now.
        case tooShort
    }

    /// The `valid_lft` for a leadership valid until `until`, set at `now`.
    public func lifetime(until: ContinuousClock.Instant, now: ContinuousClock.Instant) -> Lifetime {
        guard applies else { return .forever }
        let seconds = (until - now - Self.kernelSlack).components.seconds
        return seconds >= 1 ? .seconds(UInt32(min(seconds, Int64(UInt32.max - 1)))) : .tooShort
    }
}
