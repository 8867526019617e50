import Testing
import VIPWire

@Suite("Pure wire formats")
struct WireTests {
    // Captured with `tcpdump -xx` from `arping -U -c 1 -i v0 198.18.0.100` and `arping -U -P …`
    // on a veth with MAC 02:00:00:00:00:0a (first 42 bytes: Ethernet + ARP).
    static let arpingRequest: [UInt8] = [
        0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x02, 0x00, 0x00, 0x00, 0x00, 0x0a, 0x08, 0x06, 0x00, 0x01,
        0x08, 0x00, 0x06, 0x04, 0x00, 0x01, 0x02, 0x00, 0x00, 0x00, 0x00, 0x0a, 0xc6, 0x12, 0x00, 0x64,
        0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xc6, 0x12, 0x00, 0x64,
    ]
    // `arping -U -P` differs from the request only in the opcode (byte 21) and sets the target MAC to
    // broadcast; Linux ignores such a reply as GARP (`arp_is_garp` wants target MAC = sender MAC, as
    // iputils `arping -A` sends), so our reply form carries our MAC there (bytes 32..<38).
    static let arpingReply: [UInt8] = {
        var f = arpingRequest
        f[21] = 0x02
        f.replaceSubrange(32..<38, with: [0x02, 0x00, 0x00, 0x00, 0x00, 0x0a])
        return f
    }()
    // Captured from the kernel's own unsolicited NA (`ndisc_notify=1`) for fe80::ff:fe00:a.
    static let kernelNA: [UInt8] = [
        0x33, 0x33, 0x00, 0x00, 0x00, 0x01, 0x02, 0x00, 0x00, 0x00, 0x00, 0x0a, 0x86, 0xdd, 0x60, 0x00,
        0x00, 0x00, 0x00, 0x20, 0x3a, 0xff, 0xfe, 0x80, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
        0x00, 0xff, 0xfe, 0x00, 0x00, 0x0a, 0xff, 0x02, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
        0x00, 0x00, 0x00, 0x00, 0x00, 0x01, 0x88, 0x00, 0x59, 0x80, 0x20, 0x00, 0x00, 0x00, 0xfe, 0x80,
        0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0xff, 0xfe, 0x00, 0x00, 0x0a, 0x02, 0x01,
        0x02, 0x00, 0x00, 0x00, 0x00, 0x0a,
    ]
    let mac = MACAddress("02:00:00:00:00:0a")!

    @Test func gratuitousARPRequestMatchesArping() {
        let frame = gratuitousARPFrame(mac: mac, ip: IPv4Address("198.18.0.100")!, form: .request)
        #expect(frame.count == 60)
        #expect(Array(frame.prefix(42)) == Self.arpingRequest)
        #expect(frame.dropFirst(42).allSatisfy { $0 == 0 })
    }

    @Test func gratuitousARPReplyMatchesArping() {
        let frame = gratuitousARPFrame(mac: mac, ip: IPv4Address("198.18.0.100")!, form: .reply)
        #expect(Array(frame.prefix(42)) == Self.arpingReply)
    }

    @Test func neighborAdvertisementMatchesKernel() {
        let frame = unsolicitedNeighborAdvertisementFrame(mac: mac, target: IPv6Address("fe80::ff:fe00:a")!)
        #expect(frame == Self.kernelNA)
    }

    @Test func neighborAdvertisementChecksumVerifies() {
        let target = IPv6Address("2001:db8:18::100")!
        let frame = unsolicitedNeighborAdvertisementFrame(mac: mac, target: target)
        #expect(frame[20] == 58)  // next header ICMPv6
        #expect(frame[21] == 255)  // hop limit
        #expect(frame[54] == 136)  // neighbour advertisement
        #expect(frame[58] == 0x20)  // override, not solicited, not router
        // Summing over a correct checksum yields zero.
        #expect(icmpv6Checksum(source: target, destination: .allNodes, body: Array(frame[54...])) == 0)
    }

    @Test(arguments: ["2001:db8:18::100", "::", "::1", "fe80::ff:fe00:a", "2001:db8:0:1:1:1:1:1", "1::"])
    func ipv6RoundTrip(text: String) throws {
        let a = try #require(IPv6Address(text))
        #expect(a.description == text)
    }

    @Test(arguments: ["1:::2", "12345::", "1:2:3:4:5:6:7:8:9", "", "g::"])
    func ipv6Rejects(text: String) { #expect(IPv6Address(text) == nil) }

    @Test func ipv4ParsesAndRejects() {
        #expect(IPv4Address("198.18.0.100")?.description == "198.18.0.100")
        #expect(IPv4Address("198.18.0") == nil)
        #expect(IPv4Address("198.18.0.256") == nil)
        #expect(IPv4Address("1.2.3.+4") == nil)
        #expect(IPv6Address("+1::") == nil)
        #expect(MACAddress("02:00:00:00:00:+a") == nil)
    }

    @Test func addressMessageRoundTrip() throws {
        let m = AddressMessage(
            interface: InterfaceIndex(rawValue: 7),
            address: .v6(IPv6Address("2001:db8:18::100")!),
            prefixLength: 64,
            flags: .noDAD,
            lifetime: AddressLifetime(valid: 2)
        )
        let decoded = try AddressMessage(decoding: m.encoded())
        #expect(decoded == m)
    }

    @Test func messagesSplitAndRejectBadLengths() throws {
        let a = NetlinkMessage(header: .init(type: .newAddress, flags: [.request], sequence: 1), payload: [1, 2, 3])
        let b = NetlinkMessage(header: .init(type: .done, flags: [.multi], sequence: 1), payload: [0, 0, 0, 0])
        let decoded = try NetlinkMessage.decode(a.encoded() + b.encoded())
        #expect(decoded.count == 2)
        #expect(decoded[0].payload == [1, 2, 3])  // length excludes the padding
        #expect(decoded[1].header.type == .done)
        var bad = a.encoded()
        bad[0] = 200
        #expect(throws: NetlinkDecodingError.self) { try NetlinkMessage.decode(bad) }
    }
}
