import Election

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

extension ClusterConfig {
    /// Checks every rule; the first violation is thrown, named by its JSON path.
    ///
    /// - `clusterId` and `nodeId`: 1–64 characters of `A-Z a-z 0-9 - _`. The cluster id becomes part of a KV bucket
    ///   name (NATS allows `[A-Za-z0-9_-]` there) and of a micro service name (same set); both ids are subject
    ///   tokens, where `.`, `*`, `>` and white space would change the subject's shape and break go-cluster's
    ///   permission patterns (`cluster_myapp.*.node-1`).
    /// - `nats.servers`: at least one `nats://` or `tls://` URL (a bare `host:port` means `nats://`, as in
    ///   NATSClient) with a host and a port in 1–65535.
    /// - `nats.reconnectWaitMs` positive, `nats.maxReconnects` -1 or more, `service.version` semantic (the NATS
    ///   micro protocol requires it).
    /// - `vip`: an IPv4 or IPv6 address, a prefix length in range for its family, an interface name `ip link`
    ///   would accept.
    /// - `election`: ``ElectionConfig/validate()``: TTL at least 100 ms, room for two renewals inside the TTL
    ///   minus the safety margin.
    /// - Throws: ``ConfigError`` with code `.invalidValue` (`.missingKey` for an empty server list).
    public func validate() throws(ConfigError) {
        try Self.checkIdentifier(clusterId, path: "clusterId")
        try Self.checkIdentifier(nodeId, path: "nodeId")
        try validateNATS()
        try Self.check(
            Self.isSemanticVersion(serviceVersion),
            "service.version",
            "must be a semantic version like 1.0.0, found \"\(serviceVersion)\""
        )
        if let vip { try vip.validate() }
        try validateElection()
    }

    private func validateNATS() throws(ConfigError) {
        guard !natsURLs.isEmpty else {
            throw ConfigError(.missingKey, path: "nats.servers", "at least one NATS server URL is required")
        }
        for (index, url) in natsURLs.enumerated() {
            if let problem = Self.serverURLProblem(url) {
                throw ConfigError(.invalidValue, path: "nats.servers[\(index)]", "\"\(url)\": \(problem)")
            }
        }
        if let natsCredentials {
            try Self.check(!natsCredentials.isEmpty, "nats.credentials", "must be a file path; omit it for none")
        }
        try Self.check(reconnectWait > .zero, "nats.reconnectWaitMs", "must be positive, found \(reconnectWait)")
        try Self.check(
            maxReconnects >= -1,
            "nats.maxReconnects",
            "must be -1 (unlimited) or more, found \(maxReconnects)"
        )
    }

    private func validateElection() throws(ConfigError) {
        do {
            try electionConfig.validate()
        } catch {
            let path: String
            switch error.code {
            case .invalidNodeId: path = "nodeId"
            case .heartbeatTooSlow: path = "election.heartbeatIntervalMs"
            case .nonPositiveDuration where error.message.hasPrefix("heartbeatInterval"):
                path = "election.heartbeatIntervalMs"
            case .leaseTTLTooShort, .safetyMarginOutOfRange, .nonPositiveDuration: path = "election.leaseTtlMs"
            }
            throw ConfigError(.invalidValue, path: path, error.message)
        }
    }

    static func checkIdentifier(_ id: String, path: String) throws(ConfigError) {
        try check(!id.isEmpty, path, "must not be empty")
        try check(id.utf8.count <= 64, path, "must be at most 64 characters, found \(id.utf8.count)")
        try check(
            id.utf8.allSatisfy(isIdentifierByte),
            path,
            "\"\(id)\" may contain only A-Z a-z 0-9 - _ (it is part of NATS subjects, the KV bucket name and KV keys)"
        )
    }

    static func isIdentifierByte(_ byte: UInt8) -> Bool {
        (byte >= 0x30 && byte <= 0x39) || (byte >= 0x41 && byte <= 0x5A) || (byte >= 0x61 && byte <= 0x7A)
            || byte == 0x2D || byte == 0x5F
    }

    static func check(_ condition: Bool, _ path: String, _ message: @autoclosure () -> String) throws(ConfigError) {
        if !condition { throw ConfigError(.invalidValue, path: path, message()) }
    }

    /// Why `text` is not a usable NATS server URL, or `nil` when it is.
    static func serverURLProblem(_ text: String) -> String? {
        var rest = Substring(text)
        if let range = rest.range(of: "://") {
            let scheme = rest[..<range.lowerBound].lowercased()
            guard scheme == "nats" || scheme == "tls" else { return "scheme must be nats:// or tls://" }
            rest = rest[range.upperBound...]
        }
        if let slash = rest.firstIndex(of: "/") {
            guard rest[slash...] == "/" else { return "must not have a path" }
            rest = rest[..<slash]
        }
        if let at = rest.lastIndex(of: "@") { rest = rest[rest.index(after: at)...] }
        return hostPortProblem(rest)
    }

    private static func hostPortProblem(_ authority: Substring) -> String? {
        var host = authority
        var port: Substring?
        if authority.hasPrefix("[") {
            guard let close = authority.firstIndex(of: "]") else { return "unterminated [IPv6] host" }
            host = authority[authority.index(after: authority.startIndex)..<close]
            let after = authority[authority.index(after: close)...]
            if !after.isEmpty {
                guard after.hasPrefix(":") else { return "unexpected text after ]" }
                port = after.dropFirst()
            }
        } else if let colon = authority.lastIndex(of: ":") {
            host = authority[..<colon]
            port = authority[authority.index(after: colon)...]
        }
        guard !host.isEmpty else { return "missing host" }
        guard !host.contains(where: { $0 == " " || $0 == "\t" }) else { return "host contains white space" }
        if let port {
            guard let number = Int(port), (1...65535).contains(number) else { return "port must be 1-65535" }
        }
        return nil
    }

    /// `MAJOR.MINOR.PATCH` with optional `-prerelease` and `+build` parts of `[0-9A-Za-z.-]`.
    static func isSemanticVersion(_ text: String) -> Bool {
        let core = text.prefix { $0 != "-" && $0 != "+" }
        let parts = core.split(separator: ".", omittingEmptySubsequences: false)
        guard parts.count == 3,
            parts.allSatisfy({ !$0.isEmpty && $0.allSatisfy(\.isASCII) && $0.allSatisfy(\.isNumber) })
        else { return false }
        let suffix = text.dropFirst(core.count)
        return suffix.allSatisfy { $0.isASCII && ($0.isLetter || $0.isNumber || $0 == "." || $0 == "-" || $0 == "+") }
            && suffix != "-" && suffix != "+"
    }
}

extension VIPConfig {
    /// The address family of ``address``: 4, 6, or `nil` when it is not an IP address (`inet_pton(3)`).
    public var addressFamily: Int? {
        var buffer = [UInt8](repeating: 0, count: 16)
        if inet_pton(AF_INET, address, &buffer) == 1 { return 4 }
        if inet_pton(AF_INET6, address, &buffer) == 1 { return 6 }
        return nil
    }

    /// Checks the address, the prefix length for its family and the interface name.
    /// - Parameter path: The dotted path of this VIP's object in the document (`vip`, `vips[1]`).
    /// - Throws: ``ConfigError`` `.invalidValue` naming `<path>.address`, `<path>.netmask` or `<path>.interface`.
    public func validate(path: String = "vip") throws(ConfigError) {
        guard let family = addressFamily else {
            throw ConfigError(.invalidValue, path: "\(path).address", "\"\(address)\" is not an IPv4 or IPv6 address")
        }
        let maximum = family == 4 ? 32 : 128
        guard (0...maximum).contains(netmask) else {
            throw ConfigError(
                .invalidValue,
                path: "\(path).netmask",
                "must be between 0 and \(maximum) for an IPv\(family) address, found \(netmask)"
            )
        }
        // The kernel's dev_valid_name(): 1-15 bytes (IFNAMSIZ - 1), no '/', ':' or white space, not "." or "..".
        let bytes = interface.utf8
        let valid =
            !bytes.isEmpty && bytes.count < 16 && interface != "." && interface != ".."
            && bytes.allSatisfy { $0 > 0x20 && $0 != 0x7F && $0 != UInt8(ascii: "/") && $0 != UInt8(ascii: ":") }
        guard valid else {
            throw ConfigError(
                .invalidValue,
                path: "\(path).interface",
                "\"\(interface)\" is not a valid interface name (1-15 characters, no '/', ':' or spaces)"
            )
        }
    }
}
