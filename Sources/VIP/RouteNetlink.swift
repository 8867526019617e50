// rtnetlink operations on links and addresses (the subset of `ip link` / `ip addr` the agent needs).

/// Link and address operations over a `NetlinkTransport`.
public struct RouteNetlink: Sendable {
    /// The transport requests go through.
    public let transport: any NetlinkTransport

    /// Wraps a transport (a fake one in tests).
    public init(transport: any NetlinkTransport) { self.transport = transport }

    /// Opens a kernel route socket in the calling thread's network namespace.
    /// - Throws: `NetlinkError` when the socket cannot be opened.
    public static func open() throws(NetlinkError) -> RouteNetlink {
        RouteNetlink(transport: try NetlinkSocketTransport())
    }

    /// Looks up an interface by name. `ip link show dev NAME`.
    /// - Throws: `NetlinkError` with code `.noSuchDevice` when there is none.
    public func link(named name: String) throws(NetlinkError) -> LinkMessage {
        try getLink(LinkMessage.getRequest(index: nil, name: name), detail: name)
    }

    /// Looks up an interface by index. `ip link show` filtered by index.
    /// - Throws: `NetlinkError` with code `.noSuchDevice` when there is none.
    public func link(index: InterfaceIndex) throws(NetlinkError) -> LinkMessage {
        try getLink(LinkMessage.getRequest(index: index, name: nil), detail: index.description)
    }

    private func getLink(_ payload: [UInt8], detail: String) throws(NetlinkError) -> LinkMessage {
        let request = NetlinkMessage(header: .init(type: .getLink, flags: [.request, .ack]), payload: payload)
        do {
            for reply in try transport.execute(request, operation: .getLink) where reply.header.type == .newLink {
                return try Self.decodeLink(reply.payload, operation: .getLink)
            }
        } catch {
            var e = error
            e.detail = detail
            throw e
        }
        throw NetlinkError(operation: .getLink, protocolViolation: "no RTM_NEWLINK in reply for \(detail)")
    }

    /// Lists every interface. `ip link show`.
    public func links() throws(NetlinkError) -> [LinkMessage] {
        let request = NetlinkMessage(
            header: .init(type: .getLink, flags: [.request, .dump]),
            payload: LinkMessage.getRequest(index: nil, name: nil)
        )
        var out: [LinkMessage] = []
        for reply in try transport.execute(request, operation: .getLink) where reply.header.type == .newLink {
            out.append(try Self.decodeLink(reply.payload, operation: .getLink))
        }
        return out
    }

    /// Lists addresses, optionally of one family and one interface. `ip addr show [dev NAME]`.
    public func addresses(
        family: AddressFamily = .unspecified,
        interface: InterfaceIndex? = nil
    ) throws(NetlinkError) -> [AddressMessage] {
        let request = NetlinkMessage(
            header: .init(type: .getAddress, flags: [.request, .dump]),
            payload: AddressMessage.dumpRequest(family: family)
        )
        var out: [AddressMessage] = []
        for reply in try transport.execute(request, operation: .listAddresses) where reply.header.type == .newAddress {
            let address = try Self.decodeAddress(reply.payload, operation: .listAddresses)
            if interface == nil || address.interface == interface { out.append(address) }
        }
        return out
    }

    /// Adds an address. `ip addr add ADDR/LEN dev NAME [nodad] [valid_lft N preferred_lft N]`.
    /// - Parameters:
    ///   - address: The address, prefix, interface, flags (e.g. `.noDAD`) and optional lifetime.
    ///   - replace: Create or update in place (`ip addr replace`; `NLM_F_REPLACE`), used to renew lifetimes.
    /// - Throws: `NetlinkError` with `.exists` (unless `replace`), `.noSuchDevice`, `.permission`, ….
    public func addAddress(_ address: AddressMessage, replace: Bool = false) throws(NetlinkError) {
        let flags: NetlinkHeaderFlags = [.request, .ack, .create, replace ? .replace : .excl]
        let request = NetlinkMessage(header: .init(type: .newAddress, flags: flags), payload: address.encoded())
        try run(request, operation: replace ? .renewAddress : .addAddress, detail: address)
    }

    /// Removes an address. `ip addr del ADDR/LEN dev NAME`.
    /// - Throws: `NetlinkError` with `.notPresent`, `.noSuchDevice`, `.permission`, ….
    public func removeAddress(_ address: AddressMessage) throws(NetlinkError) {
        try run(Self.removeRequest(address), operation: .removeAddress, detail: address)
    }

    /// The `RTM_DELADDR` request (`NLM_F_REQUEST | NLM_F_ACK`) that removes `address`, without lifetime
    /// or flags: what ``removeAddress(_:)`` sends, and what the agent's fence warden keeps ready.
    public static func removeRequest(_ address: AddressMessage) -> NetlinkMessage {
        var bare = address
        bare.lifetime = nil
        bare.flags = []
        return NetlinkMessage(header: .init(type: .deleteAddress, flags: [.request, .ack]), payload: bare.encoded())
    }

    private func run(
        _ request: NetlinkMessage,
        operation: NetlinkError.Operation,
        detail: AddressMessage
    ) throws(NetlinkError) {
        do {
            _ = try transport.execute(request, operation: operation)
        } catch {
            var e = error
            e.detail = "\(detail.address)/\(detail.prefixLength) on \(detail.interface)"
            throw e
        }
    }

    static func decodeLink(_ payload: [UInt8], operation: NetlinkError.Operation) throws(NetlinkError) -> LinkMessage {
        do { return try LinkMessage(decoding: payload) } catch {
            throw NetlinkError(operation: operation, protocolViolation: error.reason)
        }
    }

    static func decodeAddress(
        _ payload: [UInt8],
        operation: NetlinkError.Operation
    ) throws(NetlinkError) -> AddressMessage {
        do { return try AddressMessage(decoding: payload) } catch {
            throw NetlinkError(operation: operation, protocolViolation: error.reason)
        }
    }
}
