// The netlink message and attribute model (after mdlayher/netlink `message.go`, `attribute.go`).
// Encoded field by field in host byte order, as netlink requires; never by reinterpreting memory.

/// A netlink message header (`struct nlmsghdr`). The length is computed when encoding.
public struct NetlinkHeader: Hashable, Sendable {
    /// `nlmsg_type`.
    public var type: NetlinkMessageType
    /// `nlmsg_flags`.
    public var flags: NetlinkHeaderFlags
    /// `nlmsg_seq`.
    public var sequence: UInt32
    /// `nlmsg_pid`, the port id.
    public var portID: UInt32

    /// Creates a header.
    public init(type: NetlinkMessageType, flags: NetlinkHeaderFlags, sequence: UInt32 = 0, portID: UInt32 = 0) {
        self.type = type
        self.flags = flags
        self.sequence = sequence
        self.portID = portID
    }

    /// The size of `struct nlmsghdr`.
    public static let size = 16
}

/// One netlink message: a header and its payload (family header plus attributes).
public struct NetlinkMessage: Hashable, Sendable {
    public var header: NetlinkHeader
    public var payload: [UInt8]

    /// Creates a message.
    public init(header: NetlinkHeader, payload: [UInt8]) {
        self.header = header
        self.payload = payload
    }

    /// The wire form: `nlmsghdr` followed by the payload, padded to four bytes.
    public func encoded() -> [UInt8] {
        var out: [UInt8] = []
        out.reserveCapacity(NetlinkHeader.size + payload.count + 3)
        out.appendNative(UInt32(NetlinkHeader.size + payload.count))
        out.appendNative(header.type.rawValue)
        out.appendNative(header.flags.rawValue)
        out.appendNative(header.sequence)
        out.appendNative(header.portID)
        out += payload
        out.padToFour()
        return out
    }

    /// Splits a datagram into messages (the `NLMSG_OK`/`NLMSG_NEXT` walk).
    /// - Throws: `NetlinkDecodingError` when a length field does not fit the datagram.
    public static func decode(_ bytes: some Collection<UInt8>) throws(NetlinkDecodingError) -> [NetlinkMessage] {
        let buf = Array(bytes)
        var messages: [NetlinkMessage] = []
        var offset = 0
        while buf.count - offset >= NetlinkHeader.size {
            let length = Int(buf.readNative(UInt32.self, at: offset))
            guard length >= NetlinkHeader.size, offset + length <= buf.count else {
                throw NetlinkDecodingError(reason: "message length \(length) at offset \(offset) out of bounds")
            }
            let header = NetlinkHeader(
                type: NetlinkMessageType(rawValue: buf.readNative(UInt16.self, at: offset + 4)),
                flags: NetlinkHeaderFlags(rawValue: buf.readNative(UInt16.self, at: offset + 6)),
                sequence: buf.readNative(UInt32.self, at: offset + 8),
                portID: buf.readNative(UInt32.self, at: offset + 12)
            )
            messages.append(NetlinkMessage(header: header, payload: Array(buf[(offset + 16)..<(offset + length)])))
            offset += (length + 3) & ~3
        }
        return messages
    }
}

/// A malformed message or attribute from the kernel (or a fake).
public struct NetlinkDecodingError: Error, Hashable, Sendable, CustomStringConvertible {
    /// What was wrong.
    public var reason: String
    public init(reason: String) { self.reason = reason }
    public var description: String { "malformed netlink data: \(reason)" }
}

/// Appends netlink attributes (`struct nlattr` + value, padded) to a buffer.
public struct AttributeWriter: Sendable {
    /// The bytes written so far.
    public private(set) var bytes: [UInt8] = []

    public init() {}

    /// Appends one attribute with raw bytes.
    public mutating func append(type: UInt16, bytes value: [UInt8]) {
        bytes.appendNative(UInt16(4 + value.count))
        bytes.appendNative(type)
        bytes += value
        bytes.padToFour()
    }

    /// Appends a 32-bit attribute in host order.
    public mutating func append(type: UInt16, uint32 value: UInt32) {
        var v: [UInt8] = []
        v.appendNative(value)
        append(type: type, bytes: v)
    }

    /// Appends a NUL-terminated string attribute.
    public mutating func append(type: UInt16, string value: String) {
        append(type: type, bytes: Array(value.utf8) + [0])
    }
}

/// Reads netlink attributes one by one; `next()` throws on a malformed attribute.
public struct AttributeReader: Sendable {
    private let bytes: [UInt8]
    private var offset = 0

    /// Creates a reader over attribute bytes (the part after the family header).
    public init(_ bytes: some Collection<UInt8>) { self.bytes = Array(bytes) }

    /// The next attribute, or `nil` at the end.
    /// - Throws: `NetlinkDecodingError` when a length does not fit.
    public mutating func next() throws(NetlinkDecodingError) -> (type: UInt16, value: [UInt8])? {
        guard bytes.count - offset >= 4 else { return nil }
        let length = Int(bytes.readNative(UInt16.self, at: offset))
        let type = bytes.readNative(UInt16.self, at: offset + 2) & 0x3fff
        guard length >= 4, offset + length <= bytes.count else {
            throw NetlinkDecodingError(reason: "attribute length \(length) at offset \(offset) out of bounds")
        }
        let value = Array(bytes[(offset + 4)..<(offset + length)])
        offset += (length + 3) & ~3
        return (type, value)
    }
}

extension [UInt8] {
    mutating func appendNative<T: FixedWidthInteger>(_ value: T) {
        Swift.withUnsafeBytes(of: value) { append(contentsOf: $0) }
    }

    mutating func padToFour() {
        while count % 4 != 0 { append(0) }
    }

    /// Reads a host-order integer; the caller has checked the bounds.
    func readNative<T: FixedWidthInteger>(_: T.Type, at offset: Int) -> T {
        var value: T = 0
        Swift.withUnsafeMutableBytes(of: &value) { dst in
            for i in 0..<MemoryLayout<T>.size { dst[i] = self[offset + i] }
        }
        return value
    }

    /// Reads a host-order integer after checking the bounds.
    func checkedNative<T: FixedWidthInteger>(_: T.Type, at offset: Int) throws(NetlinkDecodingError) -> T {
        guard offset >= 0, offset + MemoryLayout<T>.size <= count else {
            throw NetlinkDecodingError(reason: "field at \(offset) beyond \(count) bytes")
        }
        return readNative(T.self, at: offset)
    }
}
