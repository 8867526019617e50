import Testing
import VIP
import VIPTestSupport

@Suite("Link and address monitor", .enabled(if: isRoot, "needs root to create namespaces"))
struct MonitorTests {
    /// Starts collecting the monitor's events in a task; the caller cancels it.
    func collect(_ monitor: NetlinkMonitor) -> (EventLog, Task<Void, any Error>) {
        let log = EventLog()
        let stream = monitor.events()
        let task = Task {
            for try await event in stream { log.append(event) }
        }
        return (log, task)
    }

    @Test func reportsLinkDownUpCarrierAddressRemovalAndInterfaceGone() async throws {
        try await withPairAsync { net async throws in
            let (monitor, index) = try net.inside("a") { () throws -> (NetlinkMonitor, InterfaceIndex) in
                let nl = try RouteNetlink.open()
                let link = try nl.link(named: "v0")
                try nl.addAddress(AddressMessage(interface: link.index, address: .v4(vip4), prefixLength: 24))
                return (try NetlinkMonitor(), link.index)
            }
            #expect(monitor.initialAddresses.contains { $0.address == .v4(vip4) })
            let (log, task) = collect(monitor)
            defer { task.cancel() }

            try net.ip("a", "link", "set", "v0", "down")
            #expect(
                await eventuallyAsync {
                    log.snapshot.contains { if case .linkDown(let l) = $0 { l.index == index } else { false } }
                }
            )
            try net.ip("a", "link", "set", "v0", "up")
            #expect(
                await eventuallyAsync {
                    log.snapshot.contains { if case .linkUp(let l) = $0 { l.index == index } else { false } }
                }
            )

            try net.ip("b", "link", "set", "v1", "down")  // the peer goes away: we lose carrier
            #expect(
                await eventuallyAsync {
                    log.snapshot.contains {
                        if case .carrierChanged(let l, false) = $0 { l.index == index } else { false }
                    }
                }
            )
            try net.ip("b", "link", "set", "v1", "up")

            try net.ip("a", "addr", "add", "198.18.0.101/24", "dev", "v0")
            try net.ip("a", "addr", "del", "198.18.0.100/24", "dev", "v0")  // someone else removes our VIP
            #expect(
                await eventuallyAsync {
                    log.snapshot.contains {
                        if case .addressRemoved(let a) = $0 { a.address == .v4(vip4) } else { false }
                    }
                }
            )
            #expect(
                log.snapshot.contains {
                    if case .addressAdded(let a) = $0 { a.address.description == "198.18.0.101" } else { false }
                }
            )

            try net.ip("a", "link", "del", "v0")
            #expect(
                await eventuallyAsync {
                    log.snapshot.contains { if case .interfaceRemoved(let l) = $0 { l.name == "v0" } else { false } }
                }
            )
            #expect(!log.snapshot.contains { if case .resynchronized = $0 { true } else { false } })
        }
    }

    @Test func resynchronisesAfterReceiveBufferOverrun() async throws {
        try await withPairAsync { net async throws in
            let monitor = try net.inside("a") { () throws -> NetlinkMonitor in
                let monitor = try NetlinkMonitor(receiveBufferSize: 1)  // the kernel's minimum
                // Flood notifications before anyone reads: the socket must overrun.
                let nl = try RouteNetlink.open()
                let link = try nl.link(named: "v0")
                for i in 1...200 {
                    let a = IPv4Address(198, 18, 0, UInt8(i))
                    try nl.addAddress(AddressMessage(interface: link.index, address: .v4(a), prefixLength: 32))
                }
                return monitor
            }
            let (log, task) = collect(monitor)
            defer { task.cancel() }
            #expect(
                await eventuallyAsync { log.snapshot.contains { if case .resynchronized = $0 { true } else { false } } }
            )
            #expect(monitor.overrunCount >= 1)
            guard
                case .resynchronized(_, let addresses) = log.snapshot.first(where: {
                    if case .resynchronized = $0 { true } else { false }
                })
            else { return }
            // The dump, unlike the lost notifications, has all 200 addresses.
            #expect(addresses.filter { $0.address.family == .inet && $0.prefixLength == 32 }.count == 200)
            #expect(
                await eventuallyAsync {
                    log.snapshot.filter { if case .addressAdded = $0 { true } else { false } }.count >= 200
                }
            )
        }
    }

    @Test func eventsCanOnlyBeStartedOnce() async throws {
        try await withPairAsync { net async throws in
            let monitor = try net.inside("a") { try NetlinkMonitor() }
            let (_, task) = collect(monitor)
            defer { task.cancel() }
            await #expect(throws: NetlinkError.self) {
                for try await _ in monitor.events() {}
            }
        }
    }
}
