import Foundation
import Testing

@testable import NKeys

@Suite struct JWTTests {
    @Test func encodesSignedClaimsThatDecodeAndVerify() throws {
        let account = NKeyPair.generate(.account)
        let user = NKeyPair.generate(.user)
        let jwt = try NATSJWT.encode(
            claims: ["sub": user.publicKey, "name": "u", "nats": ["type": "user", "version": 2]], signedBy: account)
        let parts = jwt.split(separator: ".")
        #expect(parts.count == 3)
        #expect(try Base64URL.decode(String(parts[0])) == Array(NATSJWT.header.utf8))
        let claims = try NATSJWT.claims(of: jwt)
        #expect(claims["iss"] as? String == account.publicKey)
        #expect(claims["sub"] as? String == user.publicKey)
        #expect((claims["iat"] as? Int ?? 0) > 1_700_000_000)
        let jti = try #require(claims["jti"] as? String)
        #expect(jti.count == 52)  // base32 of 32 bytes, unpadded
        #expect(try NATSJWT.verifySignature(of: jwt))
    }

    @Test func tamperedPayloadFailsVerification() throws {
        let jwt = try NATSJWT.encode(claims: ["sub": "x"], signedBy: .generate(.operator))
        let parts = jwt.split(separator: ".").map(String.init)
        var claims = try NATSJWT.claims(of: jwt)
        claims["sub"] = "y"
        let forged = Base64URL.encode(try JSONSerialization.data(withJSONObject: claims))
        #expect(try !NATSJWT.verifySignature(of: "\(parts[0]).\(forged).\(parts[2])"))
    }

    @Test(arguments: ["", "a.b", "a.b.c.d", "a.!!.c", "a.\(Base64URL.encode(Array("[1]".utf8))).c"])
    func malformedJWTsThrow(_ jwt: String) {
        #expect(throws: NKeyError.self) { try NATSJWT.claims(of: jwt) }
    }
}
