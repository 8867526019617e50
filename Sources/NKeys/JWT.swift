import Crypto
import Foundation

/// Minimal NATS JWT support (`nats-io/jwt` v2 wire format): encode signed claims and read claims back.
///
/// A NATS JWT is `base64url(header) "." base64url(claims) "." base64url(Ed25519 signature)`, with header
/// `{"typ":"JWT","alg":"ed25519-nkey"}` and the signature made by the issuer's NKEY over the first two parts.
/// No claim validation happens here; the server does that.
public enum NATSJWT {
    /// The header every v2 NATS JWT carries.
    public static let header = #"{"typ":"JWT","alg":"ed25519-nkey"}"#

    /// Encodes and signs claims.
    ///
    /// Adds `iss` (the signer's public key), `iat` (now, unless present) and `jti`: unpadded base32 of the
    /// SHA-256 of the claims JSON without `jti`. (The Go library hashes with SHA-512/256; servers treat
    /// `jti` as an opaque id, so the difference is harmless.)
    /// - Parameters:
    ///   - claims: JSON-serialisable claims (`sub`, `name`, `nats`, ...).
    ///   - signer: The issuer's key pair (operator for accounts, account for users).
    /// - Returns: The JWT text.
    /// - Throws: ``NKeyError`` with ``NKeyError/Code/malformedJWT`` if the claims cannot be serialised.
    public static func encode(claims: [String: Any], signedBy signer: NKeyPair) throws(NKeyError) -> String {
        var body = claims
        body["iss"] = signer.publicKey
        if body["iat"] == nil { body["iat"] = Int(Date().timeIntervalSince1970) }
        body.removeValue(forKey: "jti")
        body["jti"] = Base32.encode(SHA256.hash(data: try serialize(body)))
        let signingInput = Base64URL.encode(Array(header.utf8)) + "." + Base64URL.encode(try serialize(body))
        return signingInput + "." + Base64URL.encode(signer.sign(Array(signingInput.utf8)))
    }

    /// Decodes the claims of a JWT without checking its signature.
    /// - Parameter jwt: The JWT text.
    /// - Returns: The claims object.
    /// - Throws: ``NKeyError`` with ``NKeyError/Code/malformedJWT`` or ``NKeyError/Code/invalidBase64``.
    public static func claims(of jwt: String) throws(NKeyError) -> [String: Any] {
        let parts = jwt.split(separator: ".", omittingEmptySubsequences: false)
        guard parts.count == 3 else {
            throw NKeyError(.malformedJWT, "a JWT has 3 dot-separated parts, got \(parts.count)")
        }
        let payload = try Base64URL.decode(String(parts[1]))
        guard let object = try? JSONSerialization.jsonObject(with: Data(payload)) as? [String: Any] else {
            throw NKeyError(.malformedJWT, "the JWT payload is not a JSON object")
        }
        return object
    }

    /// Checks a JWT's signature against the `iss` public key in its claims.
    /// - Parameter jwt: The JWT text.
    /// - Returns: `true` if the signature was made by the key named in `iss`.
    /// - Throws: ``NKeyError`` if the JWT or its issuer key is malformed.
    public static func verifySignature(of jwt: String) throws(NKeyError) -> Bool {
        guard let dot = jwt.lastIndex(of: "."), let issuer = try claims(of: jwt)["iss"] as? String else {
            throw NKeyError(.malformedJWT, "the JWT has no 'iss' claim")
        }
        let signature = try Base64URL.decode(String(jwt[jwt.index(after: dot)...]))
        return try NKeyPair.verify(signature, for: Array(jwt[..<dot].utf8), publicKey: issuer)
    }

    private static func serialize(_ object: [String: Any]) throws(NKeyError) -> [UInt8] {
        guard JSONSerialization.isValidJSONObject(object),
            let data = try? JSONSerialization.data(
                withJSONObject: object, options: [.sortedKeys, .withoutEscapingSlashes])
        else { throw NKeyError(.malformedJWT, "the claims are not serialisable as JSON") }
        return [UInt8](data)
    }
}
