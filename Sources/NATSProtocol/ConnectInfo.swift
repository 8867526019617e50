/// The client's `CONNECT` options (server `ClientOpts`).
///
/// `verbose` and `pedantic` default to `true` on the server when absent, so they are always sent.
public struct ConnectInfo: Encodable, Sendable, Hashable {
    public var verbose = false
    public var pedantic = false
    public var tlsRequired = false
    public var name: String?
    public var lang = "swift"
    public var version = "0.1.0"
    public var `protocol` = 1
    public var echo = true
    public var headers = true
    public var noResponders = true
    public var user: String?
    public var pass: String?
    public var authToken: String?
    public var nkey: String?
    public var jwt: String?
    public var sig: String?

    public init() {}

    enum CodingKeys: String, CodingKey {
        case verbose, pedantic, tlsRequired = "tls_required", name, lang, version, `protocol`, echo, headers
        case noResponders = "no_responders", user, pass, authToken = "auth_token", nkey, jwt, sig
    }
}
