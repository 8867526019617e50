import Cluster
import Foundation

extension AgentConfig {
    /// Reads, checks and validates a configuration file.
    /// - Parameters:
    ///   - path: The file's path.
    ///   - hostName: The node id to use when the file has none; `nil` for this host's short name.
    /// - Throws: ``ConfigError`` naming the key; the agent exits with ``ConfigError/exitCode`` (78).
    public static func load(fromFile path: String, hostName: String? = nil) throws(ConfigError) -> AgentConfig {
        try ConfigError.loading(path) { data throws(ConfigError) in try AgentConfig(json: data, hostName: hostName) }
    }

    /// Parses, checks and validates a configuration document; unknown keys are errors.
    /// - Throws: ``ConfigError`` naming the offending key.
    public init(json: Data, hostName: String? = nil) throws(ConfigError) {
        let root = try ConfigReader(json: json)
        try self.init(cluster: ClusterConfig(reading: root, hostName: hostName))
        try readVIPs(root)
        if let announce = try root.object("announce") { try readAnnounce(announce) }
        if let user = try root.string("user"), !user.isEmpty { self.user = user }
        if let nats = try root.object("nats") { try readNATS(nats) }
        if let notify = try root.object("notify") { try readNotify(notify) }
        if let checks = try root.objects("healthChecks") {
            healthChecks = try checks.map { reader throws(ConfigError) in try Self.readHealthCheck(reader) }
        }
        trackInterfaces = try root.strings("trackInterfaces") ?? []
        if let metrics = try root.object("metrics"), let listen = try metrics.string("listen"), !listen.isEmpty {
            metricsListen = try ListenAddress(parsing: listen, path: metrics.path(of: "listen"))
        }
        try root.finish()
        try validate()
    }

    private mutating func readVIPs(_ root: ConfigReader) throws(ConfigError) {
        guard let list = try root.objects("vips") else { return }
        for reader in list {
            guard let vip = try VIPConfig(reading: reader) else {
                throw ConfigError(.missingKey, path: reader.path(of: "address"), "required key is missing")
            }
            vips.append(vip)
        }
    }

    private mutating func readAnnounce(_ reader: ConfigReader) throws(ConfigError) {
        if let count = try reader.integer("count", in: 0...100) { announce.count = Int(count) }
        if let interval = try reader.integer("intervalMs", in: 1...10_000) { announce.interval = .milliseconds(interval) }
        if let refresh = try reader.integer("refreshMs", in: 0...86_400_000) {
            announce.refresh = refresh == 0 ? nil : .milliseconds(refresh)
        }
    }

    private mutating func readNATS(_ nats: ConfigReader) throws(ConfigError) {
        if let seed = try nats.string("nkeySeedFile"), !seed.isEmpty { nkeySeedFile = seed }
        if let replicas = try nats.integer("bucketReplicas", in: 1...5) { bucketReplicas = Int(replicas) }
        if let tls = try nats.object("tls") {
            let files = TLSFiles(
                ca: try tls.string("ca").flatMap { $0.isEmpty ? nil : $0 },
                cert: try tls.string("cert").flatMap { $0.isEmpty ? nil : $0 },
                key: try tls.string("key").flatMap { $0.isEmpty ? nil : $0 })
            if files != TLSFiles() { self.tls = files }
        }
    }

    private mutating func readNotify(_ reader: ConfigReader) throws(ConfigError) {
        notify.master = try reader.string("master").flatMap { $0.isEmpty ? nil : $0 }
        notify.backup = try reader.string("backup").flatMap { $0.isEmpty ? nil : $0 }
        notify.fault = try reader.string("fault").flatMap { $0.isEmpty ? nil : $0 }
        if let timeout = try reader.integer("timeoutMs", in: 1...3_600_000) { notify.timeout = .milliseconds(timeout) }
    }

    private static func readHealthCheck(_ reader: ConfigReader) throws(ConfigError) -> HealthCheckConfig {
        let name = try reader.required("name", reader.string("name"))
        let command = try reader.required("command", reader.strings("command"))
        var check = HealthCheckConfig(name: name, command: command)
        if let interval = try reader.integer("intervalMs", in: 100...86_400_000) { check.interval = .milliseconds(interval) }
        if let timeout = try reader.integer("timeoutMs", in: 10...3_600_000) { check.timeout = .milliseconds(timeout) }
        if let fall = try reader.integer("fall", in: 1...100) { check.fall = Int(fall) }
        if let rise = try reader.integer("rise", in: 1...100) { check.rise = Int(rise) }
        return check
    }
}

extension ListenAddress {
    /// Parses `host:port` or `[v6]:port`.
    /// - Throws: ``ConfigError`` `.invalidValue` naming `path`.
    public init(parsing text: String, path: String) throws(ConfigError) {
        let host: Substring
        let port: Substring
        if text.hasPrefix("["), let close = text.firstIndex(of: "]") {
            host = text[text.index(after: text.startIndex)..<close]
            let rest = text[text.index(after: close)...]
            guard rest.hasPrefix(":") else {
                throw ConfigError(.invalidValue, path: path, "\"\(text)\": expected [address]:port")
            }
            port = rest.dropFirst()
        } else if let colon = text.lastIndex(of: ":"), text.firstIndex(of: ":") == colon {
            host = text[..<colon]
            port = text[text.index(after: colon)...]
        } else {
            throw ConfigError(.invalidValue, path: path, "\"\(text)\": expected host:port, e.g. 127.0.0.1:9464")
        }
        guard let number = Int(port), (0...65_535).contains(number) else {
            throw ConfigError(.invalidValue, path: path, "\"\(text)\": the port must be 0-65535")
        }
        self.init(host: String(host), port: number)
    }
}
