// Announcement frames, built as fresh values: gratuitous ARP (RFC 5227 §3, keepalived `vrrp_arp.c`)
// and IPv6 unsolicited neighbour advertisements (RFC 4861 §7.2.6, keepalived `vrrp_ndisc.c`).

/// The two forms of gratuitous ARP.
public enum GratuitousARPForm: String, Hashable, Sendable, CaseIterable {
    /// ARP request (`arping -U`): op 1, sender and target protocol address both the VIP.
    case request
    /// ARP reply (`arping -U -P`): op 2, same addresses.
    case reply
}

/// Ethertypes used by the announcer.
public enum EtherType {
    /// The corresponding C constant is `ETH_P_ARP`.
    public static let arp: UInt16 = 0x0806
    /// The corresponding C constant is `ETH_P_IPV6`.
    public static let ipv6: UInt16 = 0x86dd
}

/// Builds a broadcast gratuitous ARP frame announcing `ip` at `mac`, padded to the 60-byte Ethernet minimum.
///
/// The request matches what `arping -U` puts on the wire: Ethernet broadcast, sender = target protocol
/// address = `ip`, target hardware address `ff:ff:ff:ff:ff:ff`. The reply carries our own MAC as target
/// hardware address (RFC 2002 §4.6, iputils `arping -A`): Linux (`arp_is_garp`) only treats a reply as
/// gratuitous when target and sender hardware addresses are equal, otherwise it ignores it within `locktime`.
/// - Parameters:
///   - mac: The sending interface's hardware address.
///   - ip: The address being announced.
///   - form: Request (op 1) or reply (op 2).
public func gratuitousARPFrame(mac: MACAddress, ip: IPv4Address, form: GratuitousARPForm = .request) -> [UInt8] {
    var f: [UInt8] = []
    f.reserveCapacity(60)
    f += MACAddress.broadcast.byteArray
    f += mac.byteArray
    f += [UInt8(EtherType.arp >> 8), UInt8(EtherType.arp & 0xff)]
    f += [0x00, 0x01, 0x08, 0x00, 6, 4]  // htype Ethernet, ptype IPv4, hlen, plen
    f += [0x00, form == .request ? 1 : 2]
    f += mac.byteArray + ip.byteArray
    f += (form == .request ? MACAddress.broadcast : mac).byteArray + ip.byteArray
    f += [UInt8](repeating: 0, count: 60 - f.count)
    return f
}

/// Builds an unsolicited neighbour advertisement for `target` at `mac`, sent to `ff02::1`.
///
/// ICMPv6 type 136 with the override flag (not solicited, not router), hop limit 255 and a target
/// link-layer address option; the ICMPv6 checksum covers the IPv6 pseudo-header.
/// - Parameters:
///   - mac: The sending interface's hardware address (Ethernet source and option value).
///   - target: The address being announced.
///   - source: The IPv6 source address; defaults to `target` (an address of the interface).
public func unsolicitedNeighborAdvertisementFrame(
    mac: MACAddress,
    target: IPv6Address,
    source: IPv6Address? = nil
) -> [UInt8] {
    let src = source ?? target
    let dst = IPv6Address.allNodes
    var icmp: [UInt8] = [136, 0, 0, 0, 0x20, 0, 0, 0]  // type, code, checksum, flags O=1
    icmp += target.byteArray
    icmp += [2, 1] + mac.byteArray  // option: target link-layer address, 1 × 8 bytes
    let sum = icmpv6Checksum(source: src, destination: dst, body: icmp)
    icmp[2] = UInt8(sum >> 8)
    icmp[3] = UInt8(sum & 0xff)
    var f: [UInt8] = [0x33, 0x33, 0, 0, 0, 1] + mac.byteArray
    f += [UInt8(EtherType.ipv6 >> 8), UInt8(EtherType.ipv6 & 0xff)]
    f += [0x60, 0, 0, 0, UInt8(icmp.count >> 8), UInt8(icmp.count & 0xff), 58, 255]
    f += src.byteArray + dst.byteArray + icmp
    return f
}

/// The ICMPv6 checksum (RFC 4443 §2.3) over the pseudo-header and `body` (whose checksum field is zero).
public func icmpv6Checksum(source: IPv6Address, destination: IPv6Address, body: [UInt8]) -> UInt16 {
    var pseudo = source.byteArray + destination.byteArray
    let length = UInt32(body.count)
    pseudo += [UInt8(length >> 24), UInt8((length >> 16) & 0xff), UInt8((length >> 8) & 0xff), UInt8(length & 0xff)]
    pseudo += [0, 0, 0, 58]
    return internetChecksum(pseudo + body)
}

/// The RFC 1071 one's-complement checksum of `bytes`.
public func internetChecksum(_ bytes: [UInt8]) -> UInt16 {
    var sum: UInt32 = 0
    var i = 0
    while i + 1 < bytes.count {
        sum += UInt32(bytes[i]) << 8 | UInt32(bytes[i + 1])
        i += 2
    }
    if i < bytes.count { sum += UInt32(bytes[i]) << 8 }
    while sum >> 16 != 0 { sum = (sum & 0xffff) + (sum >> 16) }
    return ~UInt16(sum)
}
