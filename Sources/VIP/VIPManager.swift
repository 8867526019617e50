// Idempotent acquire / release / isAcquired for one or many VIPs (the seed's `vip.Manager`), with optional
// kernel lifetimes (leases) renewed in place.

/// One virtual IP: the address, its prefix and the interface that carries it (seed `vip.Config`).
public struct VIPConfiguration: Hashable, Sendable, CustomStringConvertible {
    /// The VIP.
    public var address: IPAddress
    /// The prefix length (netmask), e.g. 24.
    public var prefixLength: UInt8
    /// The interface name, e.g. `eth0`.
    public var interface: String
    /// A kernel lifetime: the address vanishes by itself unless `renew()` runs in time. `nil` = permanent.
    public var lifetime: AddressLifetime?
    /// For IPv6: add without duplicate address detection (`nodad`), so the VIP is usable at once.
    public var skipDAD: Bool

    /// Creates a configuration.
    public init(
        address: IPAddress,
        prefixLength: UInt8,
        interface: String,
        lifetime: AddressLifetime? = nil,
        skipDAD: Bool = true
    ) {
        self.address = address
        self.prefixLength = min(prefixLength, address.maxPrefixLength)
        self.interface = interface
        self.lifetime = lifetime
        self.skipDAD = skipDAD
    }

    /// Parses `198.18.0.100/24` or `2001:db8:18::100/64`; `nil` when malformed.
    public init?(cidr: String, interface: String, lifetime: AddressLifetime? = nil, skipDAD: Bool = true) {
        let parts = cidr.split(separator: "/")
        guard let first = parts.first, let address = IPAddress(String(first)) else { return nil }
        var prefix = address.maxPrefixLength
        if parts.count == 2 {
            guard let p = UInt8(parts[1]), p <= address.maxPrefixLength else { return nil }
            prefix = p
        } else if parts.count > 2 {
            return nil
        }
        self.init(address: address, prefixLength: prefix, interface: interface, lifetime: lifetime, skipDAD: skipDAD)
    }

    public var description: String { "\(address)/\(prefixLength) dev \(interface)" }

    func message(on link: InterfaceIndex) -> AddressMessage {
        var flags: AddressFlags = []
        if case .v6 = address, skipDAD { flags.insert(.noDAD) }
        return AddressMessage(
            interface: link,
            address: address,
            prefixLength: prefixLength,
            flags: flags,
            lifetime: lifetime
        )
    }
}

/// Holds or lets go of a set of VIPs. Every operation is idempotent.
public final class VIPManager: Sendable {
    /// The VIPs managed together.
    public let vips: [VIPConfiguration]
    /// The announcement policy used after acquiring.
    public let policy: AnnouncementPolicy
    private let netlink: RouteNetlink
    private let announcer: Announcer?

    /// Creates a manager over existing sockets.
    /// - Parameters:
    ///   - vips: The VIPs (one or many).
    ///   - netlink: Route netlink operations.
    ///   - announcer: Sends GARP/NA after acquiring; `nil` to stay silent.
    ///   - policy: Announcement form, count, interval, second burst and refresh.
    public init(
        vips: [VIPConfiguration],
        netlink: RouteNetlink,
        announcer: Announcer?,
        policy: AnnouncementPolicy = .init()
    ) {
        self.vips = vips
        self.netlink = netlink
        self.announcer = announcer
        self.policy = policy
    }

    /// Opens a netlink socket and a packet socket in the calling thread's network namespace.
    /// - Throws: `NetlinkError` or `AnnouncementError` when a socket cannot be opened.
    public static func open(vips: [VIPConfiguration], policy: AnnouncementPolicy = .init()) throws -> VIPManager {
        VIPManager(vips: vips, netlink: try RouteNetlink.open(), announcer: try Announcer.open(), policy: policy)
    }

    /// Adds every VIP that is missing (`ip addr add … nodad [valid_lft …]`) and sends one announcement for
    /// each right away; `announce()` sends the rest of the burst. With a lifetime the address is created or
    /// its lifetime refreshed (`ip addr replace`).
    /// - Returns: For each VIP, whether it was newly added (`false`: it was already there).
    /// - Throws: `NetlinkError` (`.noSuchDevice` for a missing interface, `.permission`, …) or `AnnouncementError`
    ///   (e.g. the link is down); the address stays added then, and calling `acquire()` again re-announces.
    @discardableResult
    public func acquire() throws -> [Bool] {
        var added: [Bool] = []
        for vip in vips {
            let link = try netlink.link(named: vip.interface)
            added.append(try add(vip, on: link))
            try announcer?.announceOnce(vip.address, on: link, arpForm: policy.arpForm)
        }
        return added
    }

    private func add(_ vip: VIPConfiguration, on link: LinkMessage) throws(NetlinkError) -> Bool {
        let message = vip.message(on: link.index)
        do {
            try netlink.addAddress(message)
            return true
        } catch  where error.code == .exists {
            // Already there: with a lifetime, refresh it in place. (Create first, then replace: a grant, when
            // the address is absent, costs one round trip instead of an address dump plus a replace.)
            if vip.lifetime != nil { try netlink.addAddress(message, replace: true) }
            return false
        }
    }

    /// Removes every VIP that is present (`ip addr del …`).
    /// - Returns: For each VIP, whether it was removed (`false`: it was not there).
    /// - Throws: `NetlinkError`; a missing interface counts as "not there".
    @discardableResult
    public func release() throws(NetlinkError) -> [Bool] {
        var removed: [Bool] = []
        for vip in vips {
            let link: LinkMessage
            do {
                link = try netlink.link(named: vip.interface)
            } catch  where error.code == .noSuchDevice {
                removed.append(false)
                continue
            }
            do {
                try netlink.removeAddress(vip.message(on: link.index))
                removed.append(true)
            } catch  where error.code == .notPresent {
                removed.append(false)
            }
        }
        return removed
    }

    /// The encoded `RTM_DELADDR` requests that remove every VIP from its interface as it is now (the
    /// `ip addr del …` of ``release()``), concatenated: for a process that must remove the VIPs without this
    /// one (the agent's fence warden). VIPs whose interface does not exist are skipped.
    /// - Throws: `NetlinkError` when an interface cannot be looked up.
    public func removalRequests() throws(NetlinkError) -> [UInt8] {
        var bytes: [UInt8] = []
        for vip in vips {
            let link: LinkMessage
            do {
                link = try netlink.link(named: vip.interface)
            } catch where error.code == .noSuchDevice {
                continue
            }
            bytes += RouteNetlink.removeRequest(vip.message(on: link.index)).encoded()
        }
        return bytes
    }

    /// Whether every VIP is on its interface (and not a failed IPv6 duplicate).
    /// - Throws: `NetlinkError`; a missing interface yields `false`.
    public func isAcquired() throws(NetlinkError) -> Bool {
        for vip in vips {
            do {
                let link = try netlink.link(named: vip.interface)
                guard try isPresent(vip, on: link.index) else { return false }
            } catch  where error.code == .noSuchDevice {
                return false
            }
        }
        return true
    }

    private func isPresent(_ vip: VIPConfiguration, on index: InterfaceIndex) throws(NetlinkError) -> Bool {
        try netlink.addresses(family: vip.address.family, interface: index).contains {
            $0.address == vip.address && $0.prefixLength == vip.prefixLength && !$0.flags.contains(.dadFailed)
        }
    }

    /// Renews the kernel lifetime of every VIP in place (`ip addr replace … valid_lft N`). VIPs without a
    /// lifetime are left alone; a VIP that already expired is re-created.
    /// - Throws: `NetlinkError`.
    public func renew() throws(NetlinkError) {
        for vip in vips where vip.lifetime != nil {
            let link = try netlink.link(named: vip.interface)
            try netlink.addAddress(vip.message(on: link.index), replace: true)
        }
    }

    /// Sends the announcement bursts of the policy for every VIP: the rest of the first burst (`acquire`
    /// sent its first frame), then the second burst if configured.
    /// - Throws: `AnnouncementError`, `NetlinkError`, or `CancellationError`.
    public func announce() async throws {
        guard let announcer else { return }
        try await announceAll(announcer, skipFirst: true)
        if let delay = policy.secondBurstAfter {
            try await Task.sleep(for: delay)
            try await announceAll(announcer, skipFirst: false)
        }
    }

    /// Sends one whole burst for every VIP (a refresh, or after an address was re-created).
    /// - Throws: `AnnouncementError`, `NetlinkError`, or `CancellationError`.
    public func reannounce() async throws {
        guard let announcer else { return }
        try await announceAll(announcer, skipFirst: false)
    }

    /// Until cancelled: renews lifetimes at a third of the valid lifetime, and re-announces every
    /// `policy.refreshInterval`. Returns when neither applies.
    /// - Throws: `NetlinkError`, `AnnouncementError`, or `CancellationError` when cancelled.
    public func maintain() async throws {
        let validSeconds = vips.compactMap { $0.lifetime?.valid }.min()
        let renewEvery: Duration? = validSeconds.map { .milliseconds(max(100, Int64($0) * 1000 / 3)) }
        guard renewEvery != nil || policy.refreshInterval != nil else { return }
        let clock = ContinuousClock()
        var nextRenew = renewEvery.map { clock.now + $0 }
        var nextRefresh = policy.refreshInterval.map { clock.now + $0 }
        while true {
            let next = [nextRenew, nextRefresh].compactMap { $0 }.min()!
            try await Task.sleep(until: next, clock: clock)
            if let r = nextRenew, r <= clock.now, let every = renewEvery {
                try renew()
                nextRenew = r + every
            }
            if let r = nextRefresh, r <= clock.now, let every = policy.refreshInterval, let announcer {
                try await announceAll(announcer, skipFirst: false)
                nextRefresh = r + every
            }
        }
    }

    private func announceAll(_ announcer: Announcer, skipFirst: Bool) async throws {
        for vip in vips {
            let link = try netlink.link(named: vip.interface)
            try await announcer.burst(vip.address, on: link, policy: policy, skipFirst: skipFirst)
        }
    }
}
