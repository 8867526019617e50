// Address value types: IPv4, IPv6, MAC. Pure: no Glibc, no sockets.

/// An IPv4 address, stored as its four bytes in network order.
public struct IPv4Address: Hashable, Sendable, CustomStringConvertible {
    /// The address bytes, most significant first (the C type is `struct in_addr`).
    public var bytes: (UInt8, UInt8, UInt8, UInt8)

    /// Creates an address from its four bytes in network order.
    public init(_ a: UInt8, _ b: UInt8, _ c: UInt8, _ d: UInt8) { bytes = (a, b, c, d) }

    /// Parses dotted-quad text such as `198.18.0.100`; `nil` when malformed.
    public init?(_ text: String) {
        let parts = text.split(separator: ".", omittingEmptySubsequences: false)
        guard parts.count == 4 else { return nil }
        var out: [UInt8] = []
        for part in parts {
            guard !part.isEmpty, part.count <= 3, part.allSatisfy({ $0 >= "0" && $0 <= "9" }), let v = UInt8(part)
            else {
                return nil
            }
            out.append(v)
        }
        self.init(out[0], out[1], out[2], out[3])
    }

    /// Creates an address from exactly four bytes; `nil` otherwise.
    public init?(bytes b: some Collection<UInt8>) {
        let a = Array(b)
        guard a.count == 4 else { return nil }
        self.init(a[0], a[1], a[2], a[3])
    }

    /// The four bytes as an array, network order.
    public var byteArray: [UInt8] { [bytes.0, bytes.1, bytes.2, bytes.3] }

    public var description: String { "\(bytes.0).\(bytes.1).\(bytes.2).\(bytes.3)" }

    public static func == (l: Self, r: Self) -> Bool { l.byteArray == r.byteArray }
    public func hash(into h: inout Hasher) { h.combine(byteArray) }
}

/// An IPv6 address, stored as sixteen bytes in network order.
public struct IPv6Address: Hashable, Sendable, CustomStringConvertible {
    /// The sixteen address bytes (the C type is `struct in6_addr`).
    public let byteArray: [UInt8]

    /// Creates an address from exactly sixteen bytes; `nil` otherwise.
    public init?(bytes b: some Collection<UInt8>) {
        let a = Array(b)
        guard a.count == 16 else { return nil }
        byteArray = a
    }

    /// Parses RFC 4291 text (`2001:db8:18::100`); `nil` when malformed. Embedded IPv4 is not accepted.
    public init?(_ text: String) {
        let cuts = text.ranges(of: "::")
        guard cuts.count <= 1, !text.isEmpty else { return nil }
        let halves = cuts.first.map { [String(text[..<$0.lowerBound]), String(text[$0.upperBound...])] } ?? [text]
        func groups(_ s: String) -> [UInt16]? {
            if s.isEmpty { return [] }
            var out: [UInt16] = []
            for g in s.split(separator: ":", omittingEmptySubsequences: false) {
                guard !g.isEmpty, g.count <= 4, g.allSatisfy(\.isHexDigit), let v = UInt16(g, radix: 16) else {
                    return nil
                }
                out.append(v)
            }
            return out
        }
        guard let head = groups(halves[0]) else { return nil }
        var words = head
        if halves.count == 2 {
            guard let tail = groups(halves[1]), head.count + tail.count <= 7 else { return nil }
            words += Array(repeating: 0, count: 8 - head.count - tail.count) + tail
        }
        guard words.count == 8 else { return nil }
        byteArray = words.flatMap { [UInt8($0 >> 8), UInt8($0 & 0xff)] }
    }

    /// The solicited-node multicast group `ff02::1:ffXX:XXXX` of this address.
    public var solicitedNodeMulticast: IPv6Address {
        IPv6Address(bytes: [0xff, 0x02, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1, 0xff] + byteArray[13...])!
    }

    /// `ff02::1`, all nodes on the link.
    public static let allNodes = IPv6Address(bytes: [0xff, 0x02] + Array(repeating: 0, count: 13) + [1])!

    /// RFC 5952 text: lower case, the longest run of two or more zero groups shortened to `::`.
    public var description: String {
        let words = (0..<8).map { UInt16(byteArray[2 * $0]) << 8 | UInt16(byteArray[2 * $0 + 1]) }
        var best = (start: -1, count: 0)
        var i = 0
        while i < 8 {
            if words[i] == 0 {
                var j = i
                while j < 8 && words[j] == 0 { j += 1 }
                if j - i > best.count && j - i >= 2 { best = (i, j - i) }
                i = j
            } else {
                i += 1
            }
        }
        let hex = words.map { String($0, radix: 16) }
        if best.start < 0 { return hex.joined(separator: ":") }
        let head = hex[..<best.start].joined(separator: ":")
        let tail = hex[(best.start + best.count)...].joined(separator: ":")
        return head + "::" + tail
    }
}

/// An IPv4 or IPv6 address.
public enum IPAddress: Hashable, Sendable, CustomStringConvertible {
    case v4(IPv4Address)
    case v6(IPv6Address)

    /// Parses either family from text; `nil` when malformed.
    public init?(_ text: String) {
        if let a = IPv4Address(text) {
            self = .v4(a)
        } else if let a = IPv6Address(text) {
            self = .v6(a)
        } else {
            return nil
        }
    }

    /// The address family (`AF_INET` or `AF_INET6`).
    public var family: AddressFamily { if case .v4 = self { .inet } else { .inet6 } }

    /// The raw bytes, network order (4 or 16).
    public var byteArray: [UInt8] {
        switch self {
        case .v4(let a): a.byteArray
        case .v6(let a): a.byteArray
        }
    }

    /// The longest prefix length for this family (32 or 128).
    public var maxPrefixLength: UInt8 { if case .v4 = self { 32 } else { 128 } }

    public var description: String {
        switch self {
        case .v4(let a): a.description
        case .v6(let a): a.description
        }
    }
}

/// An Ethernet (EUI-48) hardware address.
public struct MACAddress: Hashable, Sendable, CustomStringConvertible {
    /// The six bytes, in transmission order.
    public let byteArray: [UInt8]

    /// Creates an address from exactly six bytes; `nil` otherwise.
    public init?(bytes b: some Collection<UInt8>) {
        let a = Array(b)
        guard a.count == 6 else { return nil }
        byteArray = a
    }

    /// Parses `02:00:00:00:00:0a`; `nil` when malformed.
    public init?(_ text: String) {
        let parts = text.split(separator: ":", omittingEmptySubsequences: false)
        guard parts.count == 6 else { return nil }
        var out: [UInt8] = []
        for p in parts {
            guard p.count == 2, p.allSatisfy(\.isHexDigit), let v = UInt8(p, radix: 16) else { return nil }
            out.append(v)
        }
        byteArray = out
    }

    /// `ff:ff:ff:ff:ff:ff`.
    public static let broadcast = MACAddress(bytes: [UInt8](repeating: 0xff, count: 6))!
    /// `00:00:00:00:00:00`.
    public static let zero = MACAddress(bytes: [UInt8](repeating: 0, count: 6))!

    public var description: String {
        byteArray.map { ($0 < 16 ? "0" : "") + String($0, radix: 16) }.joined(separator: ":")
    }
}
