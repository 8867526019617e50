// rtnetlink payloads: addresses (`struct ifaddrmsg` + IFA_*) and links (`struct ifinfomsg` + IFLA_*).

/// Address lifetimes (`struct ifa_cacheinfo`): seconds until the kernel deprecates / removes the address.
public struct AddressLifetime: Hashable, Sendable {
    /// `ifa_prefered`, seconds.
    public var preferred: UInt32
    /// `ifa_valid`, seconds; when it runs out the kernel deletes the address.
    public var valid: UInt32

    /// Creates a lifetime; `preferred` defaults to `valid`.
    public init(valid: UInt32, preferred: UInt32? = nil) {
        self.valid = valid
        self.preferred = min(preferred ?? valid, valid)
    }

    /// `0xffffffff`, the kernel's "forever".
    public static let forever = AddressLifetime(valid: .max)
}

/// An address on an interface, as sent in and received from `RTM_{NEW,DEL,GET}ADDR`.
public struct AddressMessage: Hashable, Sendable {
    /// The interface holding the address.
    public var interface: InterfaceIndex
    /// The address (`IFA_LOCAL` for IPv4, `IFA_ADDRESS` for IPv6).
    public var address: IPAddress
    /// The prefix length (`ifa_prefixlen`).
    public var prefixLength: UInt8
    /// `ifa_scope`.
    public var scope: AddressScope
    /// `IFA_FLAGS` (or `ifa_flags`).
    public var flags: AddressFlags
    /// `IFA_CACHEINFO` lifetimes; `nil` means not sent / forever.
    public var lifetime: AddressLifetime?
    /// `IFA_LABEL` (IPv4 only).
    public var label: String?

    /// Creates an address message.
    public init(
        interface: InterfaceIndex,
        address: IPAddress,
        prefixLength: UInt8,
        scope: AddressScope = .universe,
        flags: AddressFlags = [],
        lifetime: AddressLifetime? = nil,
        label: String? = nil
    ) {
        self.interface = interface
        self.address = address
        self.prefixLength = prefixLength
        self.scope = scope
        self.flags = flags
        self.lifetime = lifetime
        self.label = label
    }

    /// The payload: `ifaddrmsg`, then `IFA_LOCAL`/`IFA_ADDRESS`, `IFA_FLAGS` and `IFA_CACHEINFO`.
    public func encoded() -> [UInt8] {
        var out: [UInt8] = [
            address.family.rawValue, prefixLength, UInt8(truncatingIfNeeded: flags.rawValue), scope.rawValue,
        ]
        out.appendNative(interface.rawValue)
        var attrs = AttributeWriter()
        attrs.append(type: AddressAttribute.local, bytes: address.byteArray)
        attrs.append(type: AddressAttribute.address, bytes: address.byteArray)
        if !flags.isEmpty { attrs.append(type: AddressAttribute.flags, uint32: flags.rawValue) }
        if let lifetime {
            var info: [UInt8] = []
            info.appendNative(lifetime.preferred)
            info.appendNative(lifetime.valid)
            info.appendNative(UInt32(0))
            info.appendNative(UInt32(0))
            attrs.append(type: AddressAttribute.cacheInfo, bytes: info)
        }
        return out + attrs.bytes
    }

    /// Decodes an `RTM_NEWADDR`/`RTM_DELADDR` payload.
    /// - Throws: `NetlinkDecodingError` for short or inconsistent payloads.
    public init(decoding payload: [UInt8]) throws(NetlinkDecodingError) {
        guard payload.count >= 8 else { throw NetlinkDecodingError(reason: "ifaddrmsg too short") }
        let family = AddressFamily(rawValue: payload[0])
        var flags = AddressFlags(rawValue: UInt32(payload[2]))
        var local: [UInt8]?
        var addr: [UInt8]?
        var reader = AttributeReader(payload[8...])
        while let (type, value) = try reader.next() {
            switch type {
            case AddressAttribute.local: local = value
            case AddressAttribute.address: addr = value
            case AddressAttribute.flags: flags = AddressFlags(rawValue: try value.checkedNative(UInt32.self, at: 0))
            case AddressAttribute.label: label = String(decoding: value.prefix { $0 != 0 }, as: UTF8.self)
            case AddressAttribute.cacheInfo:
                lifetime = AddressLifetime(
                    valid: try value.checkedNative(UInt32.self, at: 4),
                    preferred: try value.checkedNative(UInt32.self, at: 0)
                )
            default: break
            }
        }
        guard let raw = local ?? addr else { throw NetlinkDecodingError(reason: "address message without address") }
        switch family {
        case .inet:
            guard let a = IPv4Address(bytes: raw) else { throw NetlinkDecodingError(reason: "bad IPv4 address") }
            address = .v4(a)
        case .inet6:
            guard let a = IPv6Address(bytes: raw) else { throw NetlinkDecodingError(reason: "bad IPv6 address") }
            address = .v6(a)
        default:
            throw NetlinkDecodingError(reason: "address family \(family.rawValue)")
        }
        prefixLength = payload[1]
        scope = AddressScope(rawValue: payload[3])
        interface = InterfaceIndex(rawValue: payload.readNative(UInt32.self, at: 4))
        self.flags = flags
    }

    /// The dump request payload: a bare `ifaddrmsg` of the family (`unspecified` for both).
    public static func dumpRequest(family: AddressFamily) -> [UInt8] {
        [family.rawValue, 0, 0, 0, 0, 0, 0, 0]
    }
}

/// RFC 2863 operational state (`IFLA_OPERSTATE`).
public struct OperationalState: RawRepresentable, Hashable, Sendable {
    public var rawValue: UInt8
    public init(rawValue: UInt8) { self.rawValue = rawValue }
    /// The corresponding C constant is `IF_OPER_UNKNOWN`.
    public static let unknown = Self(rawValue: 0)
    /// The corresponding C constant is `IF_OPER_DOWN`.
    public static let down = Self(rawValue: 2)
    /// The corresponding C constant is `IF_OPER_LOWERLAYERDOWN`.
    public static let lowerLayerDown = Self(rawValue: 3)
    /// The corresponding C constant is `IF_OPER_UP`.
    public static let up = Self(rawValue: 6)
}

/// A network interface, as described by `RTM_NEWLINK`.
public struct LinkMessage: Hashable, Sendable {
    /// `ifi_index`.
    public var index: InterfaceIndex
    /// `ifi_flags`.
    public var flags: InterfaceFlags
    /// `IFLA_IFNAME`.
    public var name: String
    /// `IFLA_ADDRESS` when it is a six-byte Ethernet address.
    public var mac: MACAddress?
    /// `IFLA_OPERSTATE`.
    public var operationalState: OperationalState
    /// `IFLA_CARRIER`, falling back to `IFF_LOWER_UP`.
    public var carrier: Bool

    /// Creates a link description.
    public init(
        index: InterfaceIndex,
        flags: InterfaceFlags,
        name: String,
        mac: MACAddress? = nil,
        operationalState: OperationalState = .unknown,
        carrier: Bool? = nil
    ) {
        self.index = index
        self.flags = flags
        self.name = name
        self.mac = mac
        self.operationalState = operationalState
        self.carrier = carrier ?? flags.contains(.lowerUp)
    }

    /// Whether the interface is administratively up (`IFF_UP`).
    public var isUp: Bool { flags.contains(.up) }

    /// Decodes an `RTM_NEWLINK`/`RTM_DELLINK` payload.
    /// - Throws: `NetlinkDecodingError` for short payloads or bad attributes.
    public init(decoding payload: [UInt8]) throws(NetlinkDecodingError) {
        guard payload.count >= 16 else { throw NetlinkDecodingError(reason: "ifinfomsg too short") }
        index = InterfaceIndex(rawValue: payload.readNative(UInt32.self, at: 4))
        flags = InterfaceFlags(rawValue: payload.readNative(UInt32.self, at: 8))
        name = ""
        operationalState = .unknown
        var carrier: Bool?
        var reader = AttributeReader(payload[16...])
        while let (type, value) = try reader.next() {
            switch type {
            case LinkAttribute.name: name = String(decoding: value.prefix { $0 != 0 }, as: UTF8.self)
            case LinkAttribute.address: mac = MACAddress(bytes: value)
            case LinkAttribute.operState: operationalState = OperationalState(rawValue: value.first ?? 0)
            case LinkAttribute.carrier: carrier = (value.first ?? 0) != 0
            default: break
            }
        }
        self.carrier = carrier ?? flags.contains(.lowerUp)
    }

    /// The `RTM_GETLINK` request payload for one link, by index or by name (`ip link show dev NAME`).
    public static func getRequest(index: InterfaceIndex?, name: String?) -> [UInt8] {
        var out: [UInt8] = [AddressFamily.unspecified.rawValue, 0, 0, 0]
        out.appendNative(index?.rawValue ?? 0)
        out.appendNative(UInt32(0))
        out.appendNative(UInt32(0))
        var attrs = AttributeWriter()
        if let name { attrs.append(type: LinkAttribute.name, string: name) }
        return out + attrs.bytes
    }
}
