/// How to connect: servers, authentication, TLS, keepalive and reconnect policy.
public struct NATSOptions: Sendable {
    /// Server URLs: `nats://host:port`, `tls://host:port`, `nats://user:pass@host`, `nats://token@host`.
    /// A URL without a scheme means `nats://`; without a port, 4222.
    public var servers: [String]
    /// The connection name shown by the server (`connz`).
    public var name: String?
    /// User and password (override those in a URL).
    public var user: String?
    public var password: String?
    /// Token (overrides one in a URL).
    public var token: String?
    /// An NKEY user seed (`SU...`): the client signs the server's nonce with it.
    public var nkeySeed: String?
    /// A `.creds` file holding a user JWT and its NKEY seed (decentralised auth).
    public var credentialsFile: String?
    /// TLS settings; `nil` still upgrades to TLS (with the system trust store) for `tls://` URLs or
    /// servers that require it.
    public var tls: TLSOptions?
    /// How often the client PINGs the server. Keep it short to notice a dead server in seconds.
    public var pingInterval: Duration
    /// How many PINGs may be unanswered before the connection is declared stale and dropped.
    public var maxPingsOutstanding: Int
    /// Time allowed for TCP connect plus handshake with one server.
    public var connectTimeout: Duration
    /// Pause after a full unsuccessful pass over the server pool.
    public var reconnectWait: Duration
    /// Random extra pause added to ``reconnectWait`` (plain and TLS connections).
    public var reconnectJitter: Duration
    public var reconnectJitterTLS: Duration
    /// Failed reconnect attempts allowed per server before it leaves the pool; -1 means forever.
    public var maxReconnects: Int
    /// Keep the given server order instead of shuffling the pool.
    public var retainServerOrder: Bool
    /// Do not add servers advertised in INFO `connect_urls` to the pool.
    public var ignoreDiscoveredServers: Bool
    /// Prefix of reply inboxes (change it when permissions restrict `_INBOX.>`).
    public var inboxPrefix: String
    /// Bytes of publishes kept while disconnected and sent after reconnecting.
    public var reconnectBufferSize: Int
    /// Messages a subscription buffers for a slow reader before dropping (and reporting) new ones.
    public var subscriptionCapacity: Int
    /// Receive our own publishes on our own subscriptions.
    public var echo: Bool

    public init(
        servers: [String] = ["nats://127.0.0.1:4222"],
        name: String? = nil,
        pingInterval: Duration = .seconds(2),
        maxPingsOutstanding: Int = 2,
        connectTimeout: Duration = .seconds(2),
        reconnectWait: Duration = .seconds(2),
        maxReconnects: Int = -1
    ) {
        self.servers = servers
        self.name = name
        self.pingInterval = pingInterval
        self.maxPingsOutstanding = maxPingsOutstanding
        self.connectTimeout = connectTimeout
        self.reconnectWait = reconnectWait
        self.reconnectJitter = .milliseconds(100)
        self.reconnectJitterTLS = .seconds(1)
        self.maxReconnects = maxReconnects
        self.retainServerOrder = false
        self.ignoreDiscoveredServers = false
        self.inboxPrefix = "_INBOX"
        self.reconnectBufferSize = 8 * 1024 * 1024
        self.subscriptionCapacity = 65536
        self.echo = true
    }
}

/// TLS client settings (PEM files).
public struct TLSOptions: Sendable, Hashable {
    /// CA certificates to trust instead of the system store.
    public var caFile: String?
    /// Client certificate and key for servers that verify clients.
    public var certificateFile: String?
    public var keyFile: String?
    /// Require TLS even if the server does not ask for it.
    public var required: Bool
    /// Name to verify in the server certificate; defaults to the URL's host.
    public var serverName: String?

    public init(
        caFile: String? = nil, certificateFile: String? = nil, keyFile: String? = nil,
        required: Bool = true, serverName: String? = nil
    ) {
        self.caFile = caFile
        self.certificateFile = certificateFile
        self.keyFile = keyFile
        self.required = required
        self.serverName = serverName
    }
}
