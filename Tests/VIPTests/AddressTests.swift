import Testing
import VIP
import VIPTestSupport

@Suite("Addresses on a real kernel (network namespaces)", .enabled(if: isRoot, "needs root to create namespaces"))
struct AddressTests {
    @Test func addListRemoveIPv4AndIPv6() throws {
        try withPair { net in
            try net.inside("a") {
                let nl = try RouteNetlink.open()
                let link = try nl.link(named: "v0")
                #expect(try nl.link(index: link.index).name == "v0")
                let v4 = AddressMessage(interface: link.index, address: .v4(vip4), prefixLength: 24)
                let v6 = AddressMessage(interface: link.index, address: .v6(vip6), prefixLength: 64, flags: .noDAD)
                try nl.addAddress(v4)
                try nl.addAddress(v6)
                let listed = try nl.addresses(interface: link.index)
                #expect(listed.contains { $0.address == .v4(vip4) && $0.prefixLength == 24 })
                let six = try #require(listed.first { $0.address == .v6(vip6) })
                #expect(six.prefixLength == 64)
                #expect(six.flags.contains(.noDAD) && !six.flags.contains(.tentative))
                #expect(
                    try nl.addresses(family: .inet, interface: link.index).allSatisfy { $0.address.family == .inet }
                )
                try nl.removeAddress(v4)
                try nl.removeAddress(v6)
                let after = try nl.addresses(interface: link.index)
                #expect(!after.contains { $0.address == .v4(vip4) || $0.address == .v6(vip6) })
            }
            // Cross-check with iproute2 that the kernel really had them and they are gone.
            #expect(!(try net.ip("a", "addr", "show", "dev", "v0")).contains("198.18.0.100"))
        }
    }

    @Test func ipv6WithDADIsTentative() throws {
        try withPair { net in
            try net.inside("a") {
                let nl = try RouteNetlink.open()
                let link = try nl.link(named: "v0")
                try nl.addAddress(AddressMessage(interface: link.index, address: .v6(vip6), prefixLength: 64))
                let six = try #require(try nl.addresses(interface: link.index).first { $0.address == .v6(vip6) })
                #expect(six.flags.contains(.tentative))
            }
        }
    }

    @Test func kernelErrorsAreTyped() throws {
        try withPair { net in
            try net.inside("a") {
                let nl = try RouteNetlink.open()
                let link = try nl.link(named: "v0")
                let v4 = AddressMessage(interface: link.index, address: .v4(vip4), prefixLength: 24)
                try nl.addAddress(v4)
                #expect(#expect(throws: NetlinkError.self) { try nl.addAddress(v4) }?.code == .exists)
                try nl.removeAddress(v4)
                #expect(#expect(throws: NetlinkError.self) { try nl.removeAddress(v4) }?.code == .notPresent)
                #expect(#expect(throws: NetlinkError.self) { try nl.link(named: "nosuch0") }?.code == .noSuchDevice)
                #expect(
                    #expect(throws: NetlinkError.self) { try nl.link(index: InterfaceIndex(rawValue: 9999)) }?.code
                        == .noSuchDevice
                )
                var bogus = v4
                bogus.interface = InterfaceIndex(rawValue: 9999)
                #expect(#expect(throws: NetlinkError.self) { try nl.addAddress(bogus) }?.code == .noSuchDevice)
            }
        }
    }

    @Test func acquireAndReleaseTwiceOneAndMany() throws {
        try withPair { net in
            try net.inside("a") {
                let vips = [
                    VIPConfiguration(cidr: "198.18.0.100/24", interface: "v0")!,
                    VIPConfiguration(cidr: "2001:db8:18::100/64", interface: "v0")!,
                ]
                let manager = try VIPManager.open(vips: vips)
                #expect(try !manager.isAcquired())
                #expect(try manager.acquire() == [true, true])
                #expect(try manager.acquire() == [false, false])
                #expect(try manager.isAcquired())
                #expect(try manager.release() == [true, true])
                #expect(try manager.release() == [false, false])
                #expect(try !manager.isAcquired())
                let single = try VIPManager.open(vips: [vips[0]])
                #expect(try single.acquire() == [true])
                #expect(try single.acquire() == [false])
                #expect(try single.release() == [true])
            }
            #expect(!(try net.ip("a", "addr", "show", "dev", "v0")).contains("198.18.0.100"))
        }
    }

    @Test func loopbackIsNotAnnouncedOn() throws {
        try withPair { net in
            try net.inside("a") {
                let manager = try VIPManager.open(vips: [VIPConfiguration(cidr: "198.18.0.100/32", interface: "lo")!])
                #expect(try manager.acquire() == [true])  // no ARP on IFF_LOOPBACK/IFF_NOARP links, no error
                let lo = try RouteNetlink.open().link(named: "lo")
                #expect(try Announcer.open().announceOnce(.v4(vip4), on: lo) == 0)
                #expect(try manager.release() == [true])
            }
        }
    }

    @Test func missingInterface() throws {
        try withPair { net in
            try net.inside("a") {
                let manager = try VIPManager.open(vips: [
                    VIPConfiguration(cidr: "198.18.0.100/24", interface: "nosuch0")!
                ])
                let error = #expect(throws: NetlinkError.self) { try manager.acquire() }
                #expect(error?.code == .noSuchDevice)
                #expect(error?.description.contains("nosuch0") == true)
                #expect(try manager.release() == [false])
                #expect(try !manager.isAcquired())
            }
        }
    }
}

@Suite("Address lifetimes (leases)", .enabled(if: isRoot, "needs root to create namespaces"))
struct LifetimeTests {
    @Test func addressExpiresOnItsOwn() async throws {
        try await withPairAsync { net in
            let manager = try net.inside("a") {
                let vip = VIPConfiguration(
                    cidr: "198.18.0.100/24",
                    interface: "v0",
                    lifetime: AddressLifetime(valid: 2)
                )!
                let manager = try VIPManager.open(vips: [vip])
                let listed = try RouteNetlink.open().addresses(family: .inet).first { $0.address == vip.address }
                #expect(listed == nil)
                return manager
            }
            let start = ContinuousClock.now
            #expect(try manager.acquire() == [true])
            #expect(try manager.isAcquired())
            let gone = try await eventuallyAsync(timeout: .seconds(8)) { try !manager.isAcquired() }
            #expect(gone)
            #expect(start.duration(to: .now) >= .milliseconds(1500))
        }
    }

    @Test func renewedAddressStays() async throws {
        try await withPairAsync { net in
            let manager = try net.inside("a") {
                let vips = [
                    VIPConfiguration(cidr: "198.18.0.100/24", interface: "v0", lifetime: AddressLifetime(valid: 2))!,
                    VIPConfiguration(
                        cidr: "2001:db8:18::100/64",
                        interface: "v0",
                        lifetime: AddressLifetime(valid: 2)
                    )!,
                ]
                return try VIPManager.open(vips: vips)
            }
            #expect(try manager.acquire() == [true, true])
            let listed = try net.ip("a", "addr", "show", "dev", "v0")
            #expect(listed.contains("valid_lft 2sec") || listed.contains("valid_lft 1sec"))
            let deadline = ContinuousClock.now + .milliseconds(4000)
            while ContinuousClock.now < deadline {
                try manager.renew()
                #expect(try manager.isAcquired())
                try await Task.sleep(for: .milliseconds(500))  // pacing only: renew twice a second
            }
            #expect(try manager.isAcquired())
            #expect(try manager.acquire() == [false, false])  // acquire of a held lease only renews
        }
    }

    @Test func maintainRenewsTheLeaseAndRefreshesAnnouncements() async throws {
        try await withPairAsync { net async throws in
            let listener = try net.inside("b") {
                try PacketListener(interface: try RouteNetlink.open().link(named: "v1").index, ethertype: EtherType.arp)
            }
            let manager = try net.inside("a") {
                try VIPManager.open(
                    vips: [
                        VIPConfiguration(cidr: "198.18.0.100/24", interface: "v0", lifetime: AddressLifetime(valid: 1))!
                    ],
                    policy: AnnouncementPolicy(count: 1, secondBurstAfter: nil, refreshInterval: .milliseconds(200))
                )
            }
            #expect(try manager.acquire() == [true])
            let task = Task { try await manager.maintain() }
            try await Task.sleep(for: .milliseconds(2500))  // the observation window: 2.5 lifetimes
            #expect(try manager.isAcquired())
            task.cancel()
            _ = await task.result
            var seen = 0
            while try listener.next(timeout: .milliseconds(300), matching: { $0.count >= 42 && $0[21] == 1 }) != nil {
                seen += 1
            }
            #expect(seen >= 8, "acquire + a refresh every 200 ms for 2.5 s")
            // Once nobody renews it, the lease runs out by itself.
            #expect(try await eventuallyAsync(timeout: .seconds(5)) { try !manager.isAcquired() })
        }
    }
}
