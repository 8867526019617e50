/// The server's `INFO` (server `Info` struct): identity, limits, auth and TLS policy, cluster URLs.
///
/// Every field is optional on the wire; unknown fields are ignored.
public struct ServerInfo: Decodable, Sendable, Hashable {
    public var serverID: String?
    public var serverName: String?
    public var version: String?
    public var proto: Int?
    public var host: String?
    public var port: Int?
    public var headers: Bool?
    /// Largest message (headers included) the server accepts; 1 MiB unless configured.
    public var maxPayload: Int?
    public var authRequired: Bool?
    public var tlsRequired: Bool?
    public var tlsVerify: Bool?
    public var tlsAvailable: Bool?
    /// Present when the server wants the nonce signed (NKEY users, JWT mode).
    public var nonce: String?
    public var jetstream: Bool?
    public var clientID: UInt64?
    public var clientIP: String?
    public var cluster: String?
    /// `host:port` strings of the cluster's client listeners (no scheme).
    public var connectURLs: [String]?
    /// Lame duck mode: the server will shut down soon.
    public var lameDuckMode: Bool?
    public var domain: String?

    public init() {}

    enum CodingKeys: String, CodingKey {
        case serverID = "server_id", serverName = "server_name", version, proto, host, port, headers
        case maxPayload = "max_payload", authRequired = "auth_required", tlsRequired = "tls_required"
        case tlsVerify = "tls_verify", tlsAvailable = "tls_available", nonce, jetstream
        case clientID = "client_id", clientIP = "client_ip", cluster, connectURLs = "connect_urls"
        case lameDuckMode = "ldm", domain
    }
}
