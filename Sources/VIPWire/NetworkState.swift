// Turning rtnetlink notifications into events, with the state needed to tell "up" from "down" and to
// resynchronise after lost messages. Pure: fed decoded messages, returns events.

/// A change on the host's links or addresses, as the monitor publishes it.
public enum NetworkEvent: Hashable, Sendable {
    /// A link appeared (`RTM_NEWLINK` for an unknown index).
    case linkAdded(LinkMessage)
    /// A link was set administratively up (`IFF_UP` set).
    case linkUp(LinkMessage)
    /// A link was set administratively down (`IFF_UP` cleared).
    case linkDown(LinkMessage)
    /// Carrier appeared or vanished (`IFLA_CARRIER` / `IFF_LOWER_UP`).
    case carrierChanged(LinkMessage, carrier: Bool)
    /// A link was deleted (`RTM_DELLINK`).
    case interfaceRemoved(LinkMessage)
    /// An address appeared (`RTM_NEWADDR` for an address not seen before; lifetime updates are silent).
    case addressAdded(AddressMessage)
    /// An address was removed (`RTM_DELADDR`), by anyone, or expired.
    case addressRemoved(AddressMessage)
    /// Notifications were lost (ENOBUFS); the state was reloaded from a dump. Difference events follow.
    case resynchronized(links: [LinkMessage], addresses: [AddressMessage])
}

/// The last known links and addresses, and the events each notification implies.
public struct NetworkStateTracker: Sendable {
    private struct AddressKey: Hashable {
        var interface: InterfaceIndex
        var address: IPAddress
        var prefixLength: UInt8
    }

    private var links: [InterfaceIndex: LinkMessage] = [:]
    private var addresses: [AddressKey: AddressMessage] = [:]

    /// Starts from a snapshot (usually a dump).
    public init(links: [LinkMessage] = [], addresses: [AddressMessage] = []) {
        for l in links { self.links[l.index] = l }
        for a in addresses { self.addresses[Self.key(a)] = a }
    }

    private static func key(_ a: AddressMessage) -> AddressKey {
        AddressKey(interface: a.interface, address: a.address, prefixLength: a.prefixLength)
    }

    /// The events implied by one notification. Malformed messages imply none.
    public mutating func apply(_ message: NetlinkMessage) -> [NetworkEvent] {
        switch message.header.type {
        case .newLink: (try? LinkMessage(decoding: message.payload)).map { linkChanged($0) } ?? []
        case .deleteLink: (try? LinkMessage(decoding: message.payload)).map { linkRemoved($0) } ?? []
        case .newAddress: (try? AddressMessage(decoding: message.payload)).map { addressAdded($0) } ?? []
        case .deleteAddress: (try? AddressMessage(decoding: message.payload)).map { addressRemoved($0) } ?? []
        default: []
        }
    }

    /// Replaces the state with a fresh dump; returns `.resynchronized` followed by the differences.
    public mutating func resynchronize(
        links newLinks: [LinkMessage],
        addresses newAddresses: [AddressMessage]
    ) -> [NetworkEvent] {
        var events: [NetworkEvent] = [.resynchronized(links: newLinks, addresses: newAddresses)]
        let fresh = Dictionary(newLinks.map { ($0.index, $0) }, uniquingKeysWith: { $1 })
        for (index, old) in links.sorted(by: { $0.key.rawValue < $1.key.rawValue }) where fresh[index] == nil {
            events += linkRemoved(old)
        }
        for l in newLinks { events += linkChanged(l) }
        let freshKeys = Set(newAddresses.map(Self.key))
        for (key, old) in addresses where !freshKeys.contains(key) { events += addressRemoved(old) }
        for a in newAddresses { events += addressAdded(a) }
        return events
    }

    private mutating func linkChanged(_ link: LinkMessage) -> [NetworkEvent] {
        defer { links[link.index] = link }
        guard let old = links[link.index] else { return [.linkAdded(link)] }
        var events: [NetworkEvent] = []
        if old.isUp != link.isUp { events.append(link.isUp ? .linkUp(link) : .linkDown(link)) }
        if old.carrier != link.carrier { events.append(.carrierChanged(link, carrier: link.carrier)) }
        return events
    }

    private mutating func linkRemoved(_ link: LinkMessage) -> [NetworkEvent] {
        links[link.index] = nil
        var events: [NetworkEvent] = []
        for (key, a) in addresses where key.interface == link.index {
            addresses[key] = nil
            events.append(.addressRemoved(a))
        }
        return events + [.interfaceRemoved(link)]
    }

    private mutating func addressAdded(_ address: AddressMessage) -> [NetworkEvent] {
        let isNew = addresses.updateValue(address, forKey: Self.key(address)) == nil
        return isNew ? [.addressAdded(address)] : []
    }

    private mutating func addressRemoved(_ address: AddressMessage) -> [NetworkEvent] {
        addresses.removeValue(forKey: Self.key(address)) == nil ? [] : [.addressRemoved(address)]
    }
}
