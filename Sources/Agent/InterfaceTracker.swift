import VIPWire

/// Which required interfaces (the VIPs' and the tracked ones) are unusable: missing, administratively
/// down, or without carrier. Pure; fed with the netlink monitor's links and events.
public struct InterfaceTracker: Sendable, Equatable {
    /// The interfaces that must be usable.
    public let required: [String]
    /// Last known state per interface index.
    var links: [InterfaceIndex: LinkMessage] = [:]

    /// A tracker over the links present now.
    public init(required: [String], links: [LinkMessage]) {
        self.required = required
        for link in links { self.links[link.index] = link }
    }

    /// Applies one monitor event.
    public mutating func apply(_ event: NetworkEvent) {
        switch event {
        case .linkAdded(let link), .linkUp(let link), .linkDown(let link), .carrierChanged(let link, _):
            links[link.index] = link
        case .interfaceRemoved(let link):
            links[link.index] = nil
        case .resynchronized(let all, _):
            links = [:]
            for link in all { links[link.index] = link }
        case .addressAdded, .addressRemoved:
            break
        }
    }

    /// The problems, one per unusable interface, in `required` order (`eth0: link down`); empty when all
    /// are usable.
    public var problems: [String] {
        required.compactMap { name in
            guard let link = links.values.first(where: { $0.name == name }) else { return "\(name): no such interface" }
            if !link.flags.contains(.up) { return "\(name): link down" }
            if !link.carrier { return "\(name): no carrier" }
            return nil
        }
    }
}
