import Synchronization
import Testing
import VIP

@Suite("Netlink engine over a fake transport")
struct FakeTransportTests {
    let message = AddressMessage(interface: InterfaceIndex(rawValue: 3), address: .v4(vip4), prefixLength: 24)

    @Test func addSendsCreateExclAndAcceptsAck() throws {
        let fake = FakeTransport { [FakeTransport.ack($0)] }
        try RouteNetlink(transport: fake).addAddress(message)
        let sent = try #require(fake.requests.withLock { $0.first })
        #expect(sent.header.type == .newAddress)
        #expect(sent.header.flags == [.request, .ack, .create, .excl])
        #expect(try AddressMessage(decoding: sent.payload) == message)
    }

    @Test func renewSendsReplace() throws {
        let fake = FakeTransport { [FakeTransport.ack($0)] }
        try RouteNetlink(transport: fake).addAddress(message, replace: true)
        #expect(fake.requests.withLock { $0[0].header.flags } == [.request, .ack, .create, .replace])
    }

    @Test(arguments: [
        (Int32(17), NetlinkError.Code.exists), (99, .notPresent), (19, .noSuchDevice), (1, .permission), (22, .other),
    ])
    func kernelErrorsAreClassified(errno: Int32, code: NetlinkError.Code) {
        let fake = FakeTransport { [FakeTransport.error($0, errno: errno, extack: "test says no")] }
        let error = #expect(throws: NetlinkError.self) { try RouteNetlink(transport: fake).removeAddress(message) }
        #expect(error?.code == code)
        #expect(error?.errno == errno)
        #expect(error?.kernelMessage == "test says no")
        #expect(error?.operation == .removeAddress)
        #expect(error?.description.contains("198.18.0.100/24") == true)
    }

    @Test func dumpCollectsMultipartUntilDone() throws {
        let other = AddressMessage(interface: InterfaceIndex(rawValue: 4), address: .v6(vip6), prefixLength: 64)
        let fake = FakeTransport { req in
            [
                FakeTransport.data(req, type: .newAddress, payload: message.encoded()),
                // A reply to another request (stale sequence) must be ignored.
                NetlinkMessage(
                    header: .init(type: .newAddress, flags: [.multi], sequence: 99),
                    payload: other.encoded()
                ),
                FakeTransport.data(req, type: .newAddress, payload: other.encoded()),
                FakeTransport.done(req),
            ]
        }
        let all = try RouteNetlink(transport: fake).addresses()
        #expect(all == [message, other])
        #expect(try RouteNetlink(transport: fake).addresses(interface: InterfaceIndex(rawValue: 4)) == [other])
    }

    @Test func interruptedDumpIsAnError() {
        let fake = FakeTransport { [FakeTransport.done($0, flags: [.multi, .dumpInterrupted])] }
        let error = #expect(throws: NetlinkError.self) { try RouteNetlink(transport: fake).links() }
        #expect(error?.errno == 4)
    }

    @Test func lookupWaitsForTheAckAfterTheData() throws {
        let link = LinkMessage(index: InterfaceIndex(rawValue: 3), flags: [.up], name: "eth0")
        let fake = FakeTransport { req in Array(FakeKernelState().answer(req, link: link).prefix(1)) }  // no ack
        let error = #expect(throws: NetlinkError.self) { try RouteNetlink(transport: fake).link(named: "eth0") }
        #expect(error?.code == .protocolViolation)
        let complete = FakeTransport { req in FakeKernelState().answer(req, link: link) }
        #expect(try RouteNetlink(transport: complete).link(named: "eth0").index == link.index)
    }

    @Test func missingAckIsAProtocolViolation() {
        let fake = FakeTransport { _ in [] }
        let error = #expect(throws: NetlinkError.self) { try RouteNetlink(transport: fake).addAddress(message) }
        #expect(error?.code == .protocolViolation)
    }

    @Test func acquireTwiceIsIdempotent() throws {
        // First add succeeds, second reports EEXIST: acquire returns true, then false.
        let link = LinkMessage(index: InterfaceIndex(rawValue: 3), flags: [.up], name: "eth0")
        let state = FakeKernelState()
        let fake = FakeTransport { req in state.answer(req, link: link) }
        let manager = VIPManager(
            vips: [VIPConfiguration(cidr: "198.18.0.100/24", interface: "eth0")!],
            netlink: RouteNetlink(transport: fake),
            announcer: nil
        )
        #expect(try manager.acquire() == [true])
        #expect(try manager.acquire() == [false])
        #expect(try manager.isAcquired())
        #expect(try manager.release() == [true])
        #expect(try manager.release() == [false])
        #expect(try !manager.isAcquired())
    }
}

/// A tiny in-memory kernel for the manager test: one link, a set of addresses.
final class FakeKernelState: Sendable {
    let addresses = Mutex<[AddressMessage]>([])

    func answer(_ req: NetlinkMessage, link: LinkMessage) -> [NetlinkMessage] {
        switch req.header.type {
        case .getLink:
            var payload: [UInt8] = [0, 0, 0, 0]
            withUnsafeBytes(of: link.index.rawValue) { payload += $0 }
            withUnsafeBytes(of: link.flags.rawValue) { payload += $0 }
            payload += [0, 0, 0, 0]
            var attrs = AttributeWriter()
            attrs.append(type: 3, string: link.name)
            return [
                NetlinkMessage(
                    header: .init(type: .newLink, flags: [], sequence: req.header.sequence),
                    payload: payload + attrs.bytes
                ),
                FakeTransport.ack(req),
            ]
        case .newAddress:
            guard let m = try? AddressMessage(decoding: req.payload) else {
                return [FakeTransport.error(req, errno: 22)]
            }
            let exists = addresses.withLock { list in
                if list.contains(where: { $0.address == m.address }) { return true }
                list.append(m)
                return false
            }
            return [exists ? FakeTransport.error(req, errno: 17) : FakeTransport.ack(req)]
        case .deleteAddress:
            guard let m = try? AddressMessage(decoding: req.payload) else {
                return [FakeTransport.error(req, errno: 22)]
            }
            let removed = addresses.withLock { list in
                let before = list.count
                list.removeAll { $0.address == m.address }
                return list.count < before
            }
            return [removed ? FakeTransport.ack(req) : FakeTransport.error(req, errno: 99)]
        case .getAddress:
            return addresses.withLock { $0 }.map { FakeTransport.data(req, type: .newAddress, payload: $0.encoded()) }
                + [FakeTransport.done(req)]
        default:
            return [FakeTransport.error(req, errno: 95)]
        }
    }
}
