/// The role of an NKEY, encoded in its first prefix byte (`nkeys: strkey.go`).
public enum NKeyType: Sendable, Hashable, CaseIterable, CustomStringConvertible {
    /// A user key; public text starts with `U`, seed with `SU`.
    case user
    /// An account key; public text starts with `A`, seed with `SA`.
    case account
    /// An operator key; public text starts with `O`, seed with `SO`.
    case `operator`
    /// A server key; public text starts with `N`, seed with `SN`.
    case server
    /// A cluster key; public text starts with `C`, seed with `SC`.
    case cluster

    /// The public-key prefix byte (a multiple of 8, so the base32 text starts with one fixed letter).
    public var prefixByte: UInt8 {
        switch self {
        case .user: 20 << 3
        case .account: 0
        case .operator: 14 << 3
        case .server: 13 << 3
        case .cluster: 2 << 3
        }
    }

    /// The letter public keys of this type start with.
    public var letter: Character {
        switch self {
        case .user: "U"
        case .account: "A"
        case .operator: "O"
        case .server: "N"
        case .cluster: "C"
        }
    }

    /// Looks a type up by its public-key prefix byte.
    /// - Parameter prefixByte: The first decoded byte of a public key.
    public init?(prefixByte: UInt8) {
        guard let type = Self.allCases.first(where: { $0.prefixByte == prefixByte }) else { return nil }
        self = type
    }

    /// The type's name, e.g. `user`.
    public var description: String {
        switch self {
        case .user: "user"
        case .account: "account"
        case .operator: "operator"
        case .server: "server"
        case .cluster: "cluster"
        }
    }
}
