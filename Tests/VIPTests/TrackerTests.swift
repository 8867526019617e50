import Testing
import VIPWire

@Suite("Monitor state tracker")
struct TrackerTests {
    let eth0 = LinkMessage(index: InterfaceIndex(rawValue: 2), flags: [.up, .lowerUp], name: "eth0")
    let address = AddressMessage(interface: InterfaceIndex(rawValue: 2), address: .v4(vip4), prefixLength: 24)

    func linkMessage(_ type: NetlinkMessageType, _ link: LinkMessage) -> NetlinkMessage {
        var payload: [UInt8] = [0, 0, 0, 0]
        withUnsafeBytes(of: link.index.rawValue) { payload += $0 }
        withUnsafeBytes(of: link.flags.rawValue) { payload += $0 }
        payload += [0, 0, 0, 0]
        var attrs = AttributeWriter()
        attrs.append(type: 3, string: link.name)
        attrs.append(type: 33, bytes: [link.carrier ? 1 : 0])
        return NetlinkMessage(header: .init(type: type, flags: []), payload: payload + attrs.bytes)
    }

    @Test func linkDownUpAndCarrier() {
        var tracker = NetworkStateTracker(links: [eth0])
        var down = eth0
        down.flags = []
        down.carrier = false
        let events = tracker.apply(linkMessage(.newLink, down))
        #expect(events == [.linkDown(down), .carrierChanged(down, carrier: false)])
        #expect(tracker.apply(linkMessage(.newLink, eth0)) == [.linkUp(eth0), .carrierChanged(eth0, carrier: true)])
        #expect(tracker.apply(linkMessage(.newLink, eth0)) == [])  // no change, no event
    }

    @Test func addressesAddedOnceAndRemoved() {
        var tracker = NetworkStateTracker(links: [eth0])
        let add = NetlinkMessage(header: .init(type: .newAddress, flags: []), payload: address.encoded())
        let del = NetlinkMessage(header: .init(type: .deleteAddress, flags: []), payload: address.encoded())
        #expect(tracker.apply(add) == [.addressAdded(address)])
        #expect(tracker.apply(add) == [])  // a lifetime renewal is not a new address
        #expect(tracker.apply(del) == [.addressRemoved(address)])
    }

    @Test func interfaceRemovalTakesItsAddresses() {
        var tracker = NetworkStateTracker(links: [eth0], addresses: [address])
        #expect(tracker.apply(linkMessage(.deleteLink, eth0)) == [.addressRemoved(address), .interfaceRemoved(eth0)])
    }

    @Test func resynchronizationReportsDifferences() {
        var tracker = NetworkStateTracker(links: [eth0], addresses: [address])
        let fresh = AddressMessage(interface: InterfaceIndex(rawValue: 2), address: .v6(vip6), prefixLength: 64)
        let events = tracker.resynchronize(links: [eth0], addresses: [fresh])
        #expect(
            events == [
                .resynchronized(links: [eth0], addresses: [fresh]), .addressRemoved(address), .addressAdded(fresh),
            ]
        )
    }
}
