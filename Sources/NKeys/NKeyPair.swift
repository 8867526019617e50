import Crypto
import Foundation

/// An Ed25519 NKEY key pair built from a seed: signs server nonces and JWTs.
///
/// ```swift
/// let pair = try NKeyPair(seed: "SUAM...")
/// let sig = pair.signNonce(info.nonce)   // base64url, for CONNECT "sig"
/// ```
public struct NKeyPair: Sendable {
    /// The key's role (user, account, ...).
    public let type: NKeyType
    private let seedBytes: [UInt8]
    private let privateKey: Curve25519.Signing.PrivateKey

    /// Creates a key pair from NKEY seed text.
    /// - Parameter seed: Seed text such as `SUA...` (surrounding whitespace is ignored).
    /// - Throws: ``NKeyError`` if the seed is malformed, has a bad checksum or an unknown type.
    public init(seed: String) throws(NKeyError) {
        let trimmed = seed.trimmingCharacters(in: .whitespacesAndNewlines)
        let (type, bytes) = try NKeyCodec.decodeSeed(trimmed)
        try self.init(type: type, seedBytes: bytes)
    }

    /// Creates a key pair from a raw 32-byte Ed25519 seed.
    /// - Parameters:
    ///   - type: The key's role.
    ///   - seedBytes: The 32-byte private seed.
    /// - Throws: ``NKeyError`` with ``NKeyError/Code/invalidLength`` or ``NKeyError/Code/invalidSeed``.
    public init(type: NKeyType, seedBytes: [UInt8]) throws(NKeyError) {
        guard seedBytes.count == NKeyCodec.keyLength else {
            throw NKeyError(.invalidLength, "a seed has \(NKeyCodec.keyLength) bytes, got \(seedBytes.count)")
        }
        do {
            self.privateKey = try Curve25519.Signing.PrivateKey(rawRepresentation: seedBytes)
        } catch {
            throw NKeyError(.invalidSeed, "Ed25519 rejected the seed: \(error)")
        }
        self.type = type
        self.seedBytes = seedBytes
    }

    /// Generates a fresh random key pair.
    /// - Parameter type: The key's role.
    /// - Returns: A new key pair.
    public static func generate(_ type: NKeyType) -> NKeyPair {
        let key = Curve25519.Signing.PrivateKey()
        // A freshly generated key always has a 32-byte seed; the initializer cannot fail here.
        // swiftlint:disable:next force_try
        return try! NKeyPair(type: type, seedBytes: [UInt8](key.rawRepresentation))
    }

    /// The public key as NKEY text (56 characters, starting with the type letter).
    public var publicKey: String {
        // 32 bytes by construction.
        // swiftlint:disable:next force_try
        try! NKeyCodec.encodePublicKey(publicKeyBytes, type: type)
    }

    /// The raw 32-byte Ed25519 public key.
    public var publicKeyBytes: [UInt8] { [UInt8](privateKey.publicKey.rawRepresentation) }

    /// The seed as NKEY text (58 characters, `S` + type letter). Secret: never log it.
    public var seed: String {
        // 32 bytes by construction.
        // swiftlint:disable:next force_try
        try! NKeyCodec.encodeSeed(seedBytes, type: type)
    }

    /// Signs data with Ed25519.
    /// - Parameter data: The bytes to sign (for a nonce: its bytes exactly as the server sent them).
    /// - Returns: The 64-byte signature.
    public func sign(_ data: some DataProtocol) -> [UInt8] {
        // BoringSSL's Ed25519 signing does not fail for a valid key.
        // swiftlint:disable:next force_try
        [UInt8](try! privateKey.signature(for: data))
    }

    /// Signs a server nonce for the CONNECT `sig` field.
    /// - Parameter nonce: The INFO `nonce` string.
    /// - Returns: The signature of the nonce's UTF-8 bytes, base64url without padding.
    public func signNonce(_ nonce: String) -> String {
        Base64URL.encode(sign(Array(nonce.utf8)))
    }

    /// Verifies an Ed25519 signature made by this key pair.
    /// - Parameters:
    ///   - signature: The 64-byte signature.
    ///   - data: The signed bytes.
    /// - Returns: `true` if the signature is valid.
    public func verify(_ signature: some DataProtocol, for data: some DataProtocol) -> Bool {
        privateKey.publicKey.isValidSignature(signature, for: data)
    }

    /// Verifies an Ed25519 signature against NKEY public-key text.
    /// - Parameters:
    ///   - signature: The 64-byte signature.
    ///   - data: The signed bytes.
    ///   - publicKey: Public-key text such as `UD...`.
    /// - Returns: `true` if the signature is valid, `false` if it is not.
    /// - Throws: ``NKeyError`` if `publicKey` is not a valid NKEY public key.
    public static func verify(
        _ signature: some DataProtocol,
        for data: some DataProtocol,
        publicKey: String
    ) throws(NKeyError) -> Bool {
        let (_, raw) = try NKeyCodec.decodePublicKey(publicKey)
        let key: Curve25519.Signing.PublicKey
        do {
            key = try Curve25519.Signing.PublicKey(rawRepresentation: raw)
        } catch {
            throw NKeyError(.invalidLength, "Ed25519 rejected the public key: \(error)")
        }
        return key.isValidSignature(signature, for: data)
    }
}
