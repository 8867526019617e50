// Announcing a VIP after it moved: gratuitous ARP for IPv4, unsolicited neighbour advertisements for IPv6.
// Never a shell-out to `arping`.

/// How a VIP is announced after it is acquired.
public struct AnnouncementPolicy: Hashable, Sendable {
    /// Which gratuitous ARP forms to send for IPv4 (keepalived sends requests; some switches want replies).
    public enum ARPForm: String, Hashable, Sendable {
        case request, reply, both
        var forms: [GratuitousARPForm] {
            switch self {
            case .request: [.request]
            case .reply: [.reply]
            case .both: [.request, .reply]
            }
        }
    }

    /// The ARP form(s).
    public var arpForm: ARPForm
    /// Announcements per burst (each one is every form once).
    public var count: Int
    /// Pause between announcements of a burst.
    public var interval: Duration
    /// A second burst this long after the first (keepalived `garp_master_delay`); `nil` for none.
    public var secondBurstAfter: Duration?
    /// Re-announce every so often while holding the VIP (keepalived `garp_master_refresh`); `nil` for never.
    public var refreshInterval: Duration?

    /// Creates a policy; the defaults follow keepalived: 5 announcements, a second burst after 5 s.
    public init(
        arpForm: ARPForm = .request,
        count: Int = 5,
        interval: Duration = .milliseconds(10),
        secondBurstAfter: Duration? = .seconds(5),
        refreshInterval: Duration? = nil
    ) {
        self.arpForm = arpForm
        self.count = max(1, count)
        self.interval = interval
        self.secondBurstAfter = secondBurstAfter
        self.refreshInterval = refreshInterval
    }
}

/// Puts announcements on the wire through one `PacketSender`.
public struct Announcer: Sendable {
    /// The send-only packet socket.
    public let sender: PacketSender

    /// Wraps a sender.
    public init(sender: PacketSender) { self.sender = sender }

    /// Opens a sender in the calling thread's network namespace. Needs `CAP_NET_RAW`.
    public static func open() throws(AnnouncementError) -> Announcer { Announcer(sender: try PacketSender()) }

    /// The frames announcing `address` from `mac`: one GARP per form for IPv4, one NA for IPv6.
    public static func frames(for address: IPAddress, mac: MACAddress, arpForm: AnnouncementPolicy.ARPForm) -> [[UInt8]]
    {
        switch address {
        case .v4(let a): arpForm.forms.map { gratuitousARPFrame(mac: mac, ip: a, form: $0) }
        case .v6(let a): [unsolicitedNeighborAdvertisementFrame(mac: mac, target: a)]
        }
    }

    /// Sends one announcement of `address` on `link` right now (every form once).
    /// Links without an Ethernet address or with `IFF_NOARP` (loopback, tunnels) are skipped.
    /// - Returns: The number of frames sent.
    /// - Throws: `AnnouncementError` when the kernel refuses the frame (link down, gone, no CAP_NET_RAW).
    @discardableResult
    public func announceOnce(
        _ address: IPAddress,
        on link: LinkMessage,
        arpForm: AnnouncementPolicy.ARPForm = .request
    ) throws(AnnouncementError) -> Int {
        guard let mac = link.mac, !link.flags.contains(.noARP), !link.flags.contains(.loopback) else { return 0 }
        let frames = Self.frames(for: address, mac: mac, arpForm: arpForm)
        for frame in frames { try sender.send(frame, on: link.index) }
        return frames.count
    }

    /// Sends one burst: `policy.count` announcements, `policy.interval` apart.
    /// - Parameter skipFirst: The first announcement was already sent (by `VIPManager.acquire`).
    public func burst(
        _ address: IPAddress,
        on link: LinkMessage,
        policy: AnnouncementPolicy,
        skipFirst: Bool = false
    ) async throws {
        for i in 0..<policy.count {
            if i > 0 { try await Task.sleep(for: policy.interval) }
            if i == 0 && skipFirst { continue }
            try announceOnce(address, on: link, arpForm: policy.arpForm)
        }
    }
}
