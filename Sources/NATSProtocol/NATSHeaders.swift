import NIOCore

/// A NATS header block (ADR-4): an optional status line and ordered, repeatable `Name: value` fields.
///
/// The wire form is `NATS/1.0[ <code>[ <description>]]` CRLF, then `Name: value` CRLF lines, then an
/// empty line. Names keep their case and lookups are case-sensitive, as in the reference clients.
public struct NATSHeaders: Sendable, Hashable, Sequence {
    /// The status code of the status line (`503` no responders, `100` heartbeat or flow control, ...).
    public var status: UInt16?
    /// The free text after the status code, if any (`Idle Heartbeat`, `FlowControl Request`, ...).
    public var statusDescription: String?
    /// The fields in wire order; a name may repeat.
    public private(set) var fields: [(name: String, value: String)]

    /// Creates a header block.
    public init(status: UInt16? = nil, description: String? = nil, _ fields: [(String, String)] = []) {
        self.status = status
        self.statusDescription = description
        self.fields = fields.map { (name: $0.0, value: $0.1) }
    }

    /// The first value stored under `name`, or `nil`.
    public subscript(name: String) -> String? {
        get { fields.first { $0.name == name }?.value }
        set {
            fields.removeAll { $0.name == name }
            if let newValue { fields.append((name: name, value: newValue)) }
        }
    }

    /// Every value stored under `name`, in order.
    public func values(for name: String) -> [String] {
        fields.filter { $0.name == name }.map(\.value)
    }

    /// Adds a value under `name`, keeping earlier ones.
    public mutating func append(_ value: String, for name: String) {
        fields.append((name: name, value: value))
    }

    public var isEmpty: Bool { fields.isEmpty && status == nil }

    public func makeIterator() -> IndexingIterator<[(name: String, value: String)]> { fields.makeIterator() }

    public static func == (lhs: NATSHeaders, rhs: NATSHeaders) -> Bool {
        lhs.status == rhs.status && lhs.statusDescription == rhs.statusDescription
            && lhs.fields.elementsEqual(rhs.fields) { $0.name == $1.name && $0.value == $1.value }
    }

    public func hash(into hasher: inout Hasher) {
        hasher.combine(status)
        for field in fields {
            hasher.combine(field.name)
            hasher.combine(field.value)
        }
    }
}

extension NATSHeaders {
    static let versionLine: [UInt8] = Array("NATS/1.0".utf8)

    /// Writes the wire form (status line, fields, empty line) and returns the number of bytes written.
    @discardableResult
    public func write(to buffer: inout ByteBuffer) -> Int {
        var written = buffer.writeBytes(Self.versionLine)
        if let status {
            written += buffer.writeString(" \(status)")
            if let statusDescription, !statusDescription.isEmpty {
                written += buffer.writeString(" \(statusDescription)")
            }
        }
        written += buffer.writeStaticString("\r\n")
        for field in fields {
            written += buffer.writeString(field.name)
            written += buffer.writeStaticString(": ")
            written += buffer.writeString(field.value)
            written += buffer.writeStaticString("\r\n")
        }
        written += buffer.writeStaticString("\r\n")
        return written
    }

    /// Checks that names and values can be sent: no CR/LF anywhere, no colon or space in a name.
    public func validate() throws(NATSProtocolError) {
        for field in fields {
            if field.name.isEmpty || field.name.utf8.contains(where: { $0 <= 32 || $0 == 58 || $0 == 127 }) {
                throw NATSProtocolError("invalid header name \"\(field.name)\"")
            }
            if field.value.utf8.contains(where: { $0 == 13 || $0 == 10 }) {
                throw NATSProtocolError("header \"\(field.name)\" has a line break in its value")
            }
        }
    }

    /// Parses a complete header block (`NATS/1.0...` through the terminating empty line).
    public static func parse(_ bytes: ByteBuffer) throws(NATSProtocolError) -> NATSHeaders {
        guard let text = bytes.getString(at: bytes.readerIndex, length: bytes.readableBytes) else {
            throw NATSProtocolError("header block is not valid UTF-8")
        }
        var lines = text.split(separator: "\r\n", omittingEmptySubsequences: false)[...]
        guard let first = lines.popFirst(), first.hasPrefix("NATS/1.0") else {
            throw NATSProtocolError("header block does not start with NATS/1.0")
        }
        var headers = NATSHeaders()
        try headers.parseStatusLine(first.dropFirst(8))
        for line in lines where !line.isEmpty {
            guard let colon = line.firstIndex(of: ":") else {
                throw NATSProtocolError("header line without a colon: \"\(line.prefix(64))\"")
            }
            let name = String(line[..<colon])
            guard !name.isEmpty else { throw NATSProtocolError("header line with an empty name") }
            let value = line[line.index(after: colon)...].trimmingCharacters(in: " \t")
            headers.fields.append((name: name, value: value))
        }
        return headers
    }

    private mutating func parseStatusLine(_ rest: Substring) throws(NATSProtocolError) {
        let trimmed = rest.trimmingCharacters(in: " \t")
        guard !trimmed.isEmpty else { return }
        let code = trimmed.prefix { $0 != " " }
        guard code.count == 3, let value = UInt16(code) else {
            throw NATSProtocolError("bad status code \"\(code.prefix(16))\" in header block")
        }
        status = value
        let description = trimmed.dropFirst(code.count).trimmingCharacters(in: " \t")
        statusDescription = description.isEmpty ? nil : description
    }
}

extension StringProtocol {
    func trimmingCharacters(in set: String) -> String {
        var slice = Substring(self)
        while let first = slice.first, set.contains(first) { slice.removeFirst() }
        while let last = slice.last, set.contains(last) { slice.removeLast() }
        return String(slice)
    }
}
