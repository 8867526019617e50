import Foundation

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// The seed's JSON file format (go-cluster's `FileConfig` and `LoadConfigFromFile`), read strictly.
///
/// ```json
/// {
///   "clusterId": "my-cluster", "nodeId": "node-1",
///   "nats": { "servers": ["nats://localhost:4222"], "credentials": "", "reconnectWaitMs": 2000, "maxReconnects": -1 },
///   "vip": { "address": "192.168.1.100", "netmask": 24, "interface": "eth0" },
///   "election": { "leaseTtlMs": 10000, "heartbeatIntervalMs": 3000 },
///   "service": { "version": "1.0.0" }
/// }
/// ```
///
/// Required: `clusterId`, `nats.servers`. An absent `nodeId` is the short host name. Other absent keys take the
/// defaults; `null` counts as absent. Unlike go-cluster, an explicit `0` is not "default": it is validated as
/// written. An empty `credentials` means none; a `vip` without `address` and `interface` (`{}`, or go-cluster
/// `init`'s `{"address": "", "netmask": 24, "interface": ""}`) means no VIP; an absent
/// `vip.netmask` is 24 for IPv4 and 64 for IPv6.
extension ClusterConfig {
    /// The largest millisecond value accepted for a duration: a day.
    static let maximumMilliseconds: Int64 = 86_400_000

    /// Reads, checks and validates a configuration file.
    /// - Parameters:
    ///   - path: The file's path.
    ///   - hostName: The node id to use when the file has none; `nil` for this host's short name.
    /// - Throws: ``ConfigError``; the agent exits with ``ConfigError/exitCode``.
    public static func load(fromFile path: String, hostName: String? = nil) throws(ConfigError) -> ClusterConfig {
        try ConfigError.loading(path) { data throws(ConfigError) in try ClusterConfig(json: data, hostName: hostName) }
    }

    /// Parses, checks and validates a configuration document: unknown keys, wrong types, missing keys and rule
    /// violations are all errors.
    /// - Parameters:
    ///   - json: UTF-8 JSON text.
    ///   - hostName: The node id to use when the document has none; `nil` for this host's short name.
    /// - Throws: ``ConfigError`` naming the offending key.
    public init(json: Data, hostName: String? = nil) throws(ConfigError) {
        let root = try ConfigReader(json: json)
        try self.init(reading: root, hostName: hostName)
        try root.finish()
        try validate()
    }

    /// Reads the seed's keys from a document without rejecting unknown keys and without validating, so that a
    /// caller with more keys (the agent) can read its own from the same readers, then call
    /// ``ConfigReader/finish()`` on `root` and ``validate()``.
    /// - Parameters:
    ///   - root: The document's root reader.
    ///   - hostName: The node id to use when the document has none; `nil` for this host's short name.
    /// - Throws: ``ConfigError`` for wrong types, missing required keys and out-of-range numbers.
    public init(reading root: ConfigReader, hostName: String? = nil) throws(ConfigError) {
        let clusterId = try root.required("clusterId", root.string("clusterId"))
        let nodeId = try root.string("nodeId") ?? hostName ?? Self.systemHostName()
        let nats = try root.object("nats")
        guard let servers = try nats?.strings("servers") else {
            throw ConfigError(.missingKey, path: "nats.servers", "required key is missing")
        }
        self.init(clusterId: clusterId, nodeId: nodeId, natsURLs: servers)
        if let nats { try readNATS(nats) }
        if let election = try root.object("election") { try readElection(election) }
        if let service = try root.object("service"), let version = try service.string("version") {
            serviceVersion = version
        }
        if let vip = try root.object("vip") { self.vip = try VIPConfig(reading: vip) }
    }

    private mutating func readNATS(_ nats: ConfigReader) throws(ConfigError) {
        if let credentials = try nats.string("credentials"), !credentials.isEmpty { natsCredentials = credentials }
        if let wait = try nats.integer("reconnectWaitMs", in: 1...Self.maximumMilliseconds) {
            reconnectWait = .milliseconds(wait)
        }
        if let attempts = try nats.integer("maxReconnects", in: -1...Int64(Int32.max)) { maxReconnects = Int(attempts) }
    }

    private mutating func readElection(_ election: ConfigReader) throws(ConfigError) {
        if let ttl = try election.integer("leaseTtlMs", in: 1...Self.maximumMilliseconds) {
            leaseTTL = .milliseconds(ttl)
        }
        if let heartbeat = try election.integer("heartbeatIntervalMs", in: 1...Self.maximumMilliseconds) {
            heartbeatInterval = .milliseconds(heartbeat)
        }
    }

    /// This host's name up to the first dot (`gethostname(2)`): the default node id.
    public static func systemHostName() -> String {
        var buffer = [CChar](repeating: 0, count: 256)
        guard gethostname(&buffer, buffer.count - 1) == 0 else { return "" }
        let bytes = buffer.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }
        let name = String(decoding: bytes, as: UTF8.self)
        return String(name.prefix { $0 != "." })
    }
}

extension VIPConfig {
    /// Reads a VIP object (`vip`, or an element of the agent's `vips`): `address`, `netmask` (default 24 for
    /// IPv4, 64 for IPv6), `interface`. An object without `address` (or `{}`) means no VIP.
    /// - Parameter reader: The object's reader; errors name keys under its path.
    /// - Returns: `nil` for "no VIP".
    /// - Throws: ``ConfigError`` for wrong types and for a netmask or interface without an address.
    public init?(reading reader: ConfigReader) throws(ConfigError) {
        let address = try reader.string("address") ?? ""
        let netmask = try reader.integer("netmask", in: 0...128)
        let interface = try reader.string("interface") ?? ""
        // A misspelt key explains a missing one better than "missing" does: report unknown keys first.
        if address.isEmpty || interface.isEmpty { try reader.finish() }
        if address.isEmpty {
            // go-cluster's `init` writes {"address": "", "netmask": 24, "interface": ""} for "no VIP".
            guard interface.isEmpty else {
                throw ConfigError(.missingKey, path: reader.path(of: "address"), "required when interface is set")
            }
            return nil
        }
        guard !interface.isEmpty else {
            throw ConfigError(.missingKey, path: reader.path(of: "interface"), "required when address is set")
        }
        let defaultNetmask = address.contains(":") ? 64 : 24
        self.init(address: address, netmask: netmask.map { Int($0) } ?? defaultNetmask, interface: interface)
    }
}

