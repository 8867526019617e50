// Request/reply bookkeeping for one netlink request: acknowledgements, errors with extended ack,
// multipart dumps. Pure, so that it runs against a fake transport in tests.

/// A failed netlink request: the operation, the kernel's errno, and its extended-ack text if any.
public struct NetlinkError: Error, Hashable, Sendable, CustomStringConvertible {
    /// What the engine was doing.
    public struct Operation: RawRepresentable, Hashable, Sendable {
        public var rawValue: String
        public init(rawValue: String) { self.rawValue = rawValue }
        /// `ip addr add`.
        public static let addAddress = Self(rawValue: "add address")
        /// `ip addr replace` (lifetime renewal).
        public static let renewAddress = Self(rawValue: "renew address")
        /// `ip addr del`.
        public static let removeAddress = Self(rawValue: "remove address")
        /// `ip addr show`.
        public static let listAddresses = Self(rawValue: "list addresses")
        /// `ip link show`.
        public static let getLink = Self(rawValue: "look up interface")
        /// Monitoring socket set-up or reads.
        public static let monitor = Self(rawValue: "monitor")
        /// Socket set-up, send or receive.
        public static let transport = Self(rawValue: "netlink transport")
    }

    /// The classification callers branch on.
    public struct Code: RawRepresentable, Hashable, Sendable {
        public var rawValue: String
        public init(rawValue: String) { self.rawValue = rawValue }
        /// `EEXIST`: the address is already there.
        public static let exists = Self(rawValue: "exists")
        /// `EADDRNOTAVAIL` / `ESRCH`: the address is not there.
        public static let notPresent = Self(rawValue: "not present")
        /// `ENODEV`: no such interface.
        public static let noSuchDevice = Self(rawValue: "no such device")
        /// `EPERM` / `EACCES`: missing `CAP_NET_ADMIN`.
        public static let permission = Self(rawValue: "permission denied")
        /// `ENOBUFS` on a monitoring socket: events were lost.
        public static let overrun = Self(rawValue: "receive buffer overrun")
        /// A malformed or unexpected reply.
        public static let protocolViolation = Self(rawValue: "protocol violation")
        /// Anything else; see `errno`.
        public static let other = Self(rawValue: "other")
    }

    /// The operation that failed.
    public var operation: Operation
    /// The classification.
    public var code: Code
    /// The positive errno value from the kernel or the socket call (0 for protocol violations).
    public var errno: Int32
    /// The extended-ack message (`NLMSGERR_ATTR_MSG`), if the kernel sent one.
    public var kernelMessage: String?
    /// The extended-ack offset of the offending attribute (`NLMSGERR_ATTR_OFFS`).
    public var offset: Int?
    /// Extra context (interface, address).
    public var detail: String?

    /// Creates an error, classifying `errno` into a `Code`.
    public init(
        operation: Operation,
        errno: Int32,
        kernelMessage: String? = nil,
        offset: Int? = nil,
        detail: String? = nil
    ) {
        self.operation = operation
        self.errno = errno
        self.code = Self.classify(errno)
        self.kernelMessage = kernelMessage
        self.offset = offset
        self.detail = detail
    }

    /// Creates an error for a malformed reply.
    public init(operation: Operation, protocolViolation reason: String) {
        self.operation = operation
        self.errno = 0
        self.code = .protocolViolation
        self.detail = reason
    }

    static func classify(_ errno: Int32) -> Code {
        switch errno {
        case 17: .exists  // EEXIST
        case 99, 3: .notPresent  // EADDRNOTAVAIL, ESRCH
        case 19: .noSuchDevice  // ENODEV
        case 1, 13: .permission  // EPERM, EACCES
        case 105: .overrun  // ENOBUFS
        default: .other
        }
    }

    public var description: String {
        var s = "\(operation.rawValue) failed: \(code.rawValue)"
        if errno != 0 { s += " (errno \(errno))" }
        if let detail { s += " [\(detail)]" }
        if let kernelMessage { s += ": kernel says \"\(kernelMessage)\"" }
        return s
    }
}

/// Collects the replies to one request and decides when it is complete (mdlayher `conn.go` `Execute`).
public struct NetlinkReplyCollector: Sendable {
    /// The sequence number of the request.
    public let sequence: UInt32
    /// The port id the kernel assigned to our socket (0 accepts any).
    public let portID: UInt32
    /// Whether the request was a dump (multipart reply ended by `NLMSG_DONE`).
    public let isDump: Bool
    /// Whether the request asked for an acknowledgement (`NLM_F_ACK`): then the ack ends the exchange,
    /// after any data reply, so that no stale ack is left in the socket.
    public let expectsAck: Bool
    /// The operation, for errors.
    public let operation: NetlinkError.Operation
    /// The data messages received so far.
    public private(set) var messages: [NetlinkMessage] = []

    /// Creates a collector for a request.
    public init(request: NetlinkMessage, portID: UInt32, operation: NetlinkError.Operation) {
        sequence = request.header.sequence
        self.portID = portID
        isDump = request.header.flags.contains(.dump)
        expectsAck = request.header.flags.contains(.ack)
        self.operation = operation
    }

    /// Feeds one received message.
    /// - Returns: `true` when the exchange is complete (ack, or `NLMSG_DONE` of a dump).
    /// - Throws: `NetlinkError` for a kernel error, an interrupted dump or a malformed message.
    public mutating func receive(_ message: NetlinkMessage) throws(NetlinkError) -> Bool {
        // Messages for other requests (stale replies, multicast) are not ours.
        guard message.header.sequence == sequence, portID == 0 || message.header.portID == portID else { return false }
        switch message.header.type {
        case .error:
            try Self.checkError(message, operation: operation)
            return !isDump
        case .done:
            if message.payload.count >= 4 {
                let code = message.payload.readNative(Int32.self, at: 0)
                if code < 0 { throw NetlinkError(operation: operation, errno: -code) }
            }
            if message.header.flags.contains(.dumpInterrupted) {
                throw NetlinkError(operation: operation, errno: 4)  // EINTR: dump inconsistent, retry
            }
            return true
        case .noop:
            return false
        default:
            messages.append(message)
            return !isDump && !expectsAck && !message.header.flags.contains(.multi)
        }
    }

    /// Checks an `NLMSG_ERROR` message: error 0 is an acknowledgement; otherwise throws with extack text.
    static func checkError(_ message: NetlinkMessage, operation: NetlinkError.Operation) throws(NetlinkError) {
        let p = message.payload
        guard p.count >= 4 else { throw NetlinkError(operation: operation, protocolViolation: "short NLMSG_ERROR") }
        let code = p.readNative(Int32.self, at: 0)
        if code == 0 { return }
        var kernelMessage: String?
        var offset: Int?
        if message.header.flags.contains(.ackTLVs), p.count >= 4 + NetlinkHeader.size {
            var start = 4 + NetlinkHeader.size
            if !message.header.flags.contains(.capped) {
                start = 4 + Int(p.readNative(UInt32.self, at: 4))
            }
            start = (start + 3) & ~3
            if start <= p.count {
                var reader = AttributeReader(p[start...])
                while let (type, value) = try? reader.next() {
                    if type == 1 { kernelMessage = String(decoding: value.prefix { $0 != 0 }, as: UTF8.self) }
                    if type == 3, value.count >= 4 { offset = Int(value.readNative(UInt32.self, at: 0)) }
                }
            }
        }
        throw NetlinkError(operation: operation, errno: -code, kernelMessage: kernelMessage, offset: offset)
    }
}
