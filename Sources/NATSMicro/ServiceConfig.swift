/// What a service is called and how it presents itself in `$SRV` discovery.
public struct ServiceConfig: Sendable {
    /// The service name, `^[A-Za-z0-9_-]+$`. Instances with the same name form one service.
    public var name: String
    /// A SemVer 2.0 version, e.g. `1.2.3` or `2.0.0-rc.1+build.5`.
    public var version: String
    /// Free text shown by `nats micro ls` (may be empty).
    public var description: String
    /// Immutable key/value pairs reported by PING, INFO and STATS.
    public var metadata: [String: String]
    /// The queue group endpoints use unless they say otherwise; `"q"` by default (ADR-32).
    /// An empty string makes endpoints plain subscriptions, so every instance receives every request.
    public var queueGroup: String
    /// The discovery subject prefix, `$SRV` by default.
    public var controlPrefix: String
    /// Custom data for an endpoint's `data` in `$SRV.STATS` (called with the endpoint name on every STATS
    /// request); `nil` from it, or no handler, leaves `data` out (the schema types it as an object, not null).
    public var statsHandler: (@Sendable (_ endpoint: String) -> [String: JSONValue]?)?

    /// - Parameters:
    ///   - name: `^[A-Za-z0-9_-]+$`.
    ///   - version: SemVer 2.0.
    ///   - description: shown in discovery; may be empty.
    ///   - metadata: reported by every discovery verb.
    ///   - queueGroup: default queue group of the endpoints (`""` disables queue groups).
    public init(
        name: String, version: String, description: String = "", metadata: [String: String] = [:],
        queueGroup: String = ServiceConfig.defaultQueueGroup
    ) {
        self.name = name
        self.version = version
        self.description = description
        self.metadata = metadata
        self.queueGroup = queueGroup
        self.controlPrefix = "$SRV"
        self.statsHandler = nil
    }

    /// The queue group ADR-32 prescribes when none is configured.
    public static let defaultQueueGroup = "q"

    /// - Throws: ``MicroError`` `.invalidConfig` naming the offending field.
    func validate() throws(MicroError) {
        guard Validation.isValidName(name) else {
            throw MicroError(.invalidConfig, "service name '\(name)' must match ^[A-Za-z0-9_-]+$")
        }
        guard Validation.isValidSemVer(version) else {
            throw MicroError(.invalidConfig, "service version '\(version)' is not SemVer 2.0")
        }
        guard queueGroup.isEmpty || Validation.isValidQueueGroup(queueGroup) else {
            throw MicroError(.invalidConfig, "queue group '\(queueGroup)' is invalid")
        }
        guard Validation.isValidEndpointSubject(controlPrefix), !controlPrefix.contains(where: { $0 == "*" || $0 == ">" })
        else {
            throw MicroError(.invalidConfig, "control prefix '\(controlPrefix)' is invalid")
        }
    }
}

/// The discovery verbs every instance answers on `$SRV.<VERB>`, `$SRV.<VERB>.<name>` and
/// `$SRV.<VERB>.<name>.<id>`.
public enum ServiceVerb: String, Sendable, CaseIterable {
    case ping = "PING"
    case info = "INFO"
    case stats = "STATS"

    /// The control subject for this verb, optionally narrowed to a service name and instance id.
    /// - Parameters:
    ///   - name: a service name, or `nil` for all services.
    ///   - id: an instance id (only with `name`).
    ///   - prefix: the discovery prefix, `$SRV` by default.
    public func subject(name: String? = nil, id: String? = nil, prefix: String = "$SRV") -> String {
        switch (name, id) {
        case (let name?, let id?): return "\(prefix).\(rawValue).\(name).\(id)"
        case (let name?, nil): return "\(prefix).\(rawValue).\(name)"
        default: return "\(prefix).\(rawValue)"
        }
    }
}

/// Names of the headers that carry a service error (ADR-32).
public enum ServiceErrorHeader {
    /// The error description.
    public static let description = "Nats-Service-Error"
    /// The numeric error code.
    public static let code = "Nats-Service-Error-Code"
}
