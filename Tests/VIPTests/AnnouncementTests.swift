import Testing
import VIP
import VIPTestSupport

@Suite("Announcements on the wire", .enabled(if: isRoot, "needs root to create namespaces"))
struct AnnouncementTests {
    static let staleMAC = "02:00:00:00:00:99"

    /// The MAC the peer's neighbour table holds for `address`, or nil.
    func neighbour(_ net: TestNetwork, _ address: String) throws -> String? {
        let out = try net.ip("b", "neigh", "show", address, "dev", "v1")
        let words = out.split(whereSeparator: { $0 == " " || $0 == "\n" })
        guard let i = words.firstIndex(of: "lladdr"), i + 1 < words.count else { return nil }
        return String(words[i + 1])
    }

    @Test(arguments: [AnnouncementPolicy.ARPForm.request, .reply, .both])
    func peerSeesGratuitousARPAndUpdatesNeighbour(form: AnnouncementPolicy.ARPForm) throws {
        try withPair { net in
            try net.ip("b", "addr", "add", "198.18.0.200/24", "dev", "v1")
            // The peer believes the VIP is elsewhere (a stale entry), as after a failover.
            try net.ip("b", "neigh", "replace", "198.18.0.100", "lladdr", Self.staleMAC, "dev", "v1", "nud", "stale")
            let listener = try net.inside("b") {
                try PacketListener(interface: try RouteNetlink.open().link(named: "v1").index, ethertype: EtherType.arp)
            }
            let ourMAC = try net.inside("a") { () throws -> MACAddress in
                let manager = try VIPManager.open(
                    vips: [VIPConfiguration(cidr: "198.18.0.100/24", interface: "v0")!],
                    policy: AnnouncementPolicy(arpForm: form, count: 1)
                )
                try manager.acquire()
                return try #require(try RouteNetlink.open().link(named: "v0").mac)
            }
            let ops: [UInt8] = form == .both ? [1, 2] : (form == .request ? [1] : [2])
            for op in ops {
                let frame = try #require(try listener.next(timeout: .seconds(3)) { $0.count >= 42 && $0[21] == op })
                #expect(Array(frame[6..<12]) == ourMAC.byteArray)  // Ethernet source
                #expect(Array(frame[0..<6]) == MACAddress.broadcast.byteArray)
                #expect(Array(frame[22..<28]) == ourMAC.byteArray)  // ARP sender MAC
                #expect(Array(frame[28..<32]) == vip4.byteArray)  // ARP sender IP
                #expect(Array(frame[38..<42]) == vip4.byteArray)  // target IP = sender IP: gratuitous
            }
            #expect(try eventually { try neighbour(net, "198.18.0.100") == ourMAC.description })
        }
    }

    @Test func peerSeesNeighbourAdvertisementAndUpdatesNeighbour() throws {
        try withPair { net in
            try net.ip("b", "addr", "add", "2001:db8:18::200/64", "dev", "v1", "nodad")
            try net.ip(
                "b",
                "neigh",
                "replace",
                "2001:db8:18::100",
                "lladdr",
                Self.staleMAC,
                "dev",
                "v1",
                "nud",
                "stale"
            )
            let listener = try net.inside("b") {
                try PacketListener(
                    interface: try RouteNetlink.open().link(named: "v1").index,
                    ethertype: EtherType.ipv6
                )
            }
            let ourMAC = try net.inside("a") { () throws -> MACAddress in
                let manager = try VIPManager.open(
                    vips: [VIPConfiguration(cidr: "2001:db8:18::100/64", interface: "v0")!],
                    policy: AnnouncementPolicy(count: 1)
                )
                try manager.acquire()
                return try #require(try RouteNetlink.open().link(named: "v0").mac)
            }
            let frame = try #require(
                try listener.next(timeout: .seconds(3)) {
                    $0.count >= 86 && $0[20] == 58 && $0[54] == 136 && Array($0[62..<78]) == vip6.byteArray
                }
            )
            #expect(Array(frame[6..<12]) == ourMAC.byteArray)
            #expect(Array(frame[0..<6]) == [0x33, 0x33, 0, 0, 0, 1])
            #expect(frame[21] == 255)  // hop limit
            #expect(frame[58] & 0x20 != 0)  // override
            #expect(frame[58] & 0x40 == 0)  // not solicited
            #expect(Array(frame[78..<80]) == [2, 1] && Array(frame[80..<86]) == ourMAC.byteArray)
            #expect(try eventually { try neighbour(net, "2001:db8:18::100") == ourMAC.description })
        }
    }

    @Test func burstSendsCountAnnouncements() async throws {
        try await withPairAsync { net in
            let listener = try net.inside("b") {
                try PacketListener(interface: try RouteNetlink.open().link(named: "v1").index, ethertype: EtherType.arp)
            }
            let manager = try net.inside("a") {
                try VIPManager.open(
                    vips: [VIPConfiguration(cidr: "198.18.0.100/24", interface: "v0")!],
                    policy: AnnouncementPolicy(
                        count: 3,
                        interval: .milliseconds(20),
                        secondBurstAfter: .milliseconds(100)
                    )
                )
            }
            try manager.acquire()
            try await manager.announce()
            var seen = 0
            while try listener.next(timeout: .milliseconds(500), matching: { $0.count >= 42 && $0[21] == 1 }) != nil {
                seen += 1
            }
            #expect(seen == 6)  // 3 in the first burst (one from acquire) + 3 in the second
        }
    }
}
