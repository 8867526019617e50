// Typed kernel integers for rtnetlink. Values are the Linux UAPI constants, spelled out so that this
// module stays pure (no Glibc import).

/// A netlink message type (`nlmsghdr.nlmsg_type`).
public struct NetlinkMessageType: RawRepresentable, Hashable, Sendable {
    public var rawValue: UInt16
    public init(rawValue: UInt16) { self.rawValue = rawValue }
    /// The corresponding C constant is `NLMSG_NOOP`.
    public static let noop = Self(rawValue: 1)
    /// The corresponding C constant is `NLMSG_ERROR` (also carries acknowledgements).
    public static let error = Self(rawValue: 2)
    /// The corresponding C constant is `NLMSG_DONE`.
    public static let done = Self(rawValue: 3)
    /// The corresponding C constant is `NLMSG_OVERRUN`.
    public static let overrun = Self(rawValue: 4)
    /// The corresponding C constant is `RTM_NEWLINK`.
    public static let newLink = Self(rawValue: 16)
    /// The corresponding C constant is `RTM_DELLINK`.
    public static let deleteLink = Self(rawValue: 17)
    /// The corresponding C constant is `RTM_GETLINK`.
    public static let getLink = Self(rawValue: 18)
    /// The corresponding C constant is `RTM_NEWADDR`.
    public static let newAddress = Self(rawValue: 20)
    /// The corresponding C constant is `RTM_DELADDR`.
    public static let deleteAddress = Self(rawValue: 21)
    /// The corresponding C constant is `RTM_GETADDR`.
    public static let getAddress = Self(rawValue: 22)
}

/// The flag word of a netlink header (`nlmsghdr.nlmsg_flags`).
public struct NetlinkHeaderFlags: OptionSet, Hashable, Sendable {
    public var rawValue: UInt16
    public init(rawValue: UInt16) { self.rawValue = rawValue }
    /// The corresponding C constant is `NLM_F_REQUEST`.
    public static let request = Self(rawValue: 0x1)
    /// The corresponding C constant is `NLM_F_MULTI`.
    public static let multi = Self(rawValue: 0x2)
    /// The corresponding C constant is `NLM_F_ACK`.
    public static let ack = Self(rawValue: 0x4)
    /// The corresponding C constant is `NLM_F_DUMP_INTR`.
    public static let dumpInterrupted = Self(rawValue: 0x10)
    /// The corresponding C constant is `NLM_F_DUMP` (`NLM_F_ROOT | NLM_F_MATCH`).
    public static let dump = Self(rawValue: 0x300)
    /// The corresponding C constant is `NLM_F_REPLACE`.
    public static let replace = Self(rawValue: 0x100)
    /// The corresponding C constant is `NLM_F_EXCL`.
    public static let excl = Self(rawValue: 0x200)
    /// The corresponding C constant is `NLM_F_CREATE`.
    public static let create = Self(rawValue: 0x400)
    /// In an `NLMSG_ERROR` reply: the request was not echoed. The C constant is `NLM_F_CAPPED`.
    public static let capped = Self(rawValue: 0x100)
    /// In an `NLMSG_ERROR` reply: extended-ack attributes follow. The C constant is `NLM_F_ACK_TLVS`.
    public static let ackTLVs = Self(rawValue: 0x200)
}

/// A socket address family as used in rtnetlink headers.
public struct AddressFamily: RawRepresentable, Hashable, Sendable {
    public var rawValue: UInt8
    public init(rawValue: UInt8) { self.rawValue = rawValue }
    /// The corresponding C constant is `AF_UNSPEC`.
    public static let unspecified = Self(rawValue: 0)
    /// The corresponding C constant is `AF_INET`.
    public static let inet = Self(rawValue: 2)
    /// The corresponding C constant is `AF_INET6`.
    public static let inet6 = Self(rawValue: 10)
}

/// An interface index (`ifindex`), as the kernel numbers links inside one network namespace.
public struct InterfaceIndex: RawRepresentable, Hashable, Sendable, CustomStringConvertible {
    public var rawValue: UInt32
    public init(rawValue: UInt32) { self.rawValue = rawValue }
    public var description: String { "ifindex \(rawValue)" }
}

/// An address scope (`ifa_scope`).
public struct AddressScope: RawRepresentable, Hashable, Sendable {
    public var rawValue: UInt8
    public init(rawValue: UInt8) { self.rawValue = rawValue }
    /// The corresponding C constant is `RT_SCOPE_UNIVERSE`.
    public static let universe = Self(rawValue: 0)
    /// The corresponding C constant is `RT_SCOPE_LINK`.
    public static let link = Self(rawValue: 253)
    /// The corresponding C constant is `RT_SCOPE_HOST`.
    public static let host = Self(rawValue: 254)
}

/// Address flags (`IFA_FLAGS`, the low byte also in `ifa_flags`).
public struct AddressFlags: OptionSet, Hashable, Sendable {
    public var rawValue: UInt32
    public init(rawValue: UInt32) { self.rawValue = rawValue }
    /// The corresponding C constant is `IFA_F_NODAD`: no duplicate address detection (IPv6).
    public static let noDAD = Self(rawValue: 0x02)
    /// The corresponding C constant is `IFA_F_DADFAILED`.
    public static let dadFailed = Self(rawValue: 0x08)
    /// The corresponding C constant is `IFA_F_TENTATIVE`.
    public static let tentative = Self(rawValue: 0x40)
    /// The corresponding C constant is `IFA_F_PERMANENT`.
    public static let permanent = Self(rawValue: 0x80)
}

/// Interface flags (`ifi_flags`).
public struct InterfaceFlags: OptionSet, Hashable, Sendable {
    public var rawValue: UInt32
    public init(rawValue: UInt32) { self.rawValue = rawValue }
    /// The corresponding C constant is `IFF_UP` (administratively up).
    public static let up = Self(rawValue: 0x1)
    /// The corresponding C constant is `IFF_LOOPBACK`.
    public static let loopback = Self(rawValue: 0x8)
    /// The corresponding C constant is `IFF_RUNNING`.
    public static let running = Self(rawValue: 0x40)
    /// The corresponding C constant is `IFF_NOARP`.
    public static let noARP = Self(rawValue: 0x80)
    /// The corresponding C constant is `IFF_LOWER_UP` (carrier).
    public static let lowerUp = Self(rawValue: 0x10000)
}

/// rtnetlink multicast groups, as the legacy bind-time bit mask.
public struct RouteMulticastGroups: OptionSet, Hashable, Sendable {
    public var rawValue: UInt32
    public init(rawValue: UInt32) { self.rawValue = rawValue }
    /// The corresponding C constant is `RTMGRP_LINK` (group `RTNLGRP_LINK`).
    public static let link = Self(rawValue: 0x1)
    /// The corresponding C constant is `RTMGRP_IPV4_IFADDR` (group `RTNLGRP_IPV4_IFADDR`).
    public static let ipv4Address = Self(rawValue: 0x10)
    /// The corresponding C constant is `RTMGRP_IPV6_IFADDR` (group `RTNLGRP_IPV6_IFADDR`).
    public static let ipv6Address = Self(rawValue: 0x100)
}

/// Attribute types of address messages.
enum AddressAttribute {
    static let address: UInt16 = 1  // IFA_ADDRESS
    static let local: UInt16 = 2  // IFA_LOCAL
    static let label: UInt16 = 3  // IFA_LABEL
    static let cacheInfo: UInt16 = 6  // IFA_CACHEINFO
    static let flags: UInt16 = 8  // IFA_FLAGS
}

/// Attribute types of link messages.
enum LinkAttribute {
    static let address: UInt16 = 1  // IFLA_ADDRESS
    static let name: UInt16 = 3  // IFLA_IFNAME
    static let mtu: UInt16 = 4  // IFLA_MTU
    static let operState: UInt16 = 16  // IFLA_OPERSTATE
    static let carrier: UInt16 = 33  // IFLA_CARRIER
}
