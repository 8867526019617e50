import Foundation
import NKeys

/// A decentralised-auth (operator mode) chain made in-process: operator → system account + account → user,
/// with the JWTs, a `.creds` file and the server configuration that trusts them (memory resolver).
///
/// ```swift
/// let auth = try TestAuthority()
/// let server = try NATSServer(options: .init(extraConfig: auth.serverConfig))
/// let credsPath = try auth.writeCreds(in: server.directory)
/// // a user of another TestAuthority gets "Authorization Violation" on this server
/// ```
public struct TestAuthority: Sendable {
    /// The operator key (self-signs the operator JWT, signs account JWTs).
    public let operatorKey: NKeyPair
    /// The system account key (`system_account`).
    public let systemAccountKey: NKeyPair
    /// The application account key (signs user JWTs).
    public let accountKey: NKeyPair
    /// The default user's key.
    public let userKey: NKeyPair
    /// The operator JWT.
    public let operatorJWT: String
    /// The system account JWT (JetStream off).
    public let systemAccountJWT: String
    /// The application account JWT (unlimited, JetStream on if requested).
    public let accountJWT: String
    /// The default user's JWT.
    public let userJWT: String

    /// Generates fresh keys and JWTs.
    /// - Parameters:
    ///   - accountName: The application account's `name`.
    ///   - userName: The default user's `name`.
    ///   - jetStream: Give the application account unlimited JetStream memory and disk storage.
    /// - Throws: ``NKeys/NKeyError`` if a JWT cannot be encoded.
    public init(accountName: String = "TEST", userName: String = "test-user", jetStream: Bool = true) throws {
        operatorKey = .generate(.operator)
        systemAccountKey = .generate(.account)
        accountKey = .generate(.account)
        userKey = .generate(.user)
        operatorJWT = try NATSJWT.encode(
            claims: Self.claims(
                subject: operatorKey.publicKey, name: "test-operator",
                nats: ["type": "operator", "version": 2, "system_account": systemAccountKey.publicKey]),
            signedBy: operatorKey)
        systemAccountJWT = try Self.accountJWT(
            name: "SYS", key: systemAccountKey, jetStream: false, operatorKey: operatorKey)
        accountJWT = try Self.accountJWT(
            name: accountName, key: accountKey, jetStream: jetStream, operatorKey: operatorKey)
        userJWT = try Self.userJWT(name: userName, key: userKey, accountKey: accountKey, permissions: [:])
    }

    /// The default user's credentials.
    public var credentials: Credentials { Credentials(jwt: userJWT, seed: userKey.seed) }

    /// Issues another user of the application account.
    /// - Parameters:
    ///   - name: The user's `name`.
    ///   - permissions: Extra `nats` claims, e.g. `["pub": ["deny": ["secret.>"]]]`; merged over the defaults.
    /// - Returns: The new user's credentials.
    /// - Throws: ``NKeys/NKeyError`` if the JWT cannot be encoded.
    public func makeUser(name: String, permissions: [String: any Sendable] = [:]) throws -> Credentials {
        let key = NKeyPair.generate(.user)
        return Credentials(
            jwt: try Self.userJWT(name: name, key: key, accountKey: accountKey, permissions: permissions),
            seed: key.seed)
    }

    /// Server configuration for operator mode with a memory resolver preloaded with both accounts.
    /// Pass it as ``NATSServer/Options/extraConfig``.
    public var serverConfig: String {
        """
        operator: "\(operatorJWT)"
        system_account: \(systemAccountKey.publicKey)
        resolver: MEMORY
        resolver_preload: {
          \(systemAccountKey.publicKey): "\(systemAccountJWT)"
          \(accountKey.publicKey): "\(accountJWT)"
        }
        """
    }

    /// Writes a `.creds` file.
    /// - Parameters:
    ///   - directory: The directory to write into (e.g. ``NATSServer/directory``).
    ///   - credentials: Which credentials; default the default user's.
    ///   - fileName: The file name.
    /// - Returns: The file's path.
    /// - Throws: ``TestSupportError`` with `fileSystem`.
    @discardableResult
    public func writeCreds(in directory: String, credentials: Credentials? = nil, fileName: String = "user.creds")
        throws -> String
    {
        let path = "\(directory)/\(fileName)"
        do {
            try (credentials ?? self.credentials).fileText.write(toFile: path, atomically: true, encoding: .utf8)
        } catch {
            throw TestSupportError(.fileSystem, "cannot write \(path): \(error)")
        }
        return path
    }

    private static func claims(subject: String, name: String, nats: [String: Any]) -> [String: Any] {
        ["sub": subject, "name": name, "nats": nats]
    }

    private static func accountJWT(name: String, key: NKeyPair, jetStream: Bool, operatorKey: NKeyPair) throws -> String
    {
        let storage = jetStream ? -1 : 0
        let limits: [String: Any] = [
            "subs": -1, "data": -1, "payload": -1, "imports": -1, "exports": -1, "wildcards": true, "conn": -1,
            "leaf": -1, "mem_storage": storage, "disk_storage": storage, "streams": -1, "consumer": -1,
        ]
        let nats: [String: Any] = [
            "type": "account", "version": 2, "limits": limits,
            "default_permissions": ["pub": [String: Any](), "sub": [String: Any]()],
        ]
        return try NATSJWT.encode(claims: claims(subject: key.publicKey, name: name, nats: nats), signedBy: operatorKey)
    }

    private static func userJWT(
        name: String, key: NKeyPair, accountKey: NKeyPair, permissions: [String: any Sendable]
    ) throws -> String {
        var nats: [String: Any] = [
            "type": "user", "version": 2, "pub": [String: Any](), "sub": [String: Any](),
            "subs": -1, "data": -1, "payload": -1,
        ]
        for (field, value) in permissions { nats[field] = value }
        return try NATSJWT.encode(claims: claims(subject: key.publicKey, name: name, nats: nats), signedBy: accountKey)
    }
}

/// Configuration snippets for the simpler auth methods, to pass as ``NATSServer/Options/extraConfig``.
public enum TestAuthConfig {
    /// `authorization { users = [ { nkey: U... }, ... ] }`.
    /// - Parameter publicKeys: User public keys (`U...`).
    public static func nkeyUsers(_ publicKeys: [String]) -> String {
        "authorization {\n  users = [\n" + publicKeys.map { "    { nkey: \($0) }\n" }.joined() + "  ]\n}\n"
    }

    /// `authorization { user: ..., password: ... }`.
    /// - Parameters:
    ///   - user: The user name.
    ///   - password: The password (plain text).
    public static func userPassword(_ user: String, _ password: String) -> String {
        "authorization {\n  user: \"\(user)\"\n  password: \"\(password)\"\n}\n"
    }

    /// `authorization { token: ... }`.
    /// - Parameter token: The token.
    public static func token(_ token: String) -> String {
        "authorization {\n  token: \"\(token)\"\n}\n"
    }
}
