import Foundation
import Testing

@testable import NKeys

@Suite struct NKeyPairTests {
    // Computed by hand with the Python `nkeys` package (nkeys.encode_seed(bytes(range(32)), PREFIX_BYTE_USER)).
    static let userSeed = "SUAAAAICAMCAKBQHBAEQUCYMBUHA6EARCIJRIFIWC4MBSGQ3DQOR4H776Y"
    static let userPublic = "UAB2CB576PHBBPQ5ODORRZ2LYCMWPZGWGCN2KDK7DXOIMZASKUY3RLKK"
    static let accountSeed = "SAAAAAICAMCAKBQHBAEQUCYMBUHA6EARCIJRIFIWC4MBSGQ3DQOR4HYMHI"
    static let accountPublic = "AAB2CB576PHBBPQ5ODORRZ2LYCMWPZGWGCN2KDK7DXOIMZASKUY3QPZV"
    static let operatorSeed = "SOAAAAICAMCAKBQHBAEQUCYMBUHA6EARCIJRIFIWC4MBSGQ3DQOR4H2AJA"
    static let operatorPublic = "OAB2CB576PHBBPQ5ODORRZ2LYCMWPZGWGCN2KDK7DXOIMZASKUY3QZVT"
    // nkeys kp.sign(b"nonce-123"), base64url without padding (Ed25519 is deterministic).
    static let nonceSignature =
        "Kb2XR8zISj7OG5ul-xW0TPU9fjFJaoMQsCg462Sudxr_xIW_-1dpIOEb8GuRqiyhEew9LzQAjbRa8Aq15jZDAA"

    @Test func knownSeedGivesKnownPublicKey() throws {
        let cases: [(String, String, NKeyType)] = [
            (Self.userSeed, Self.userPublic, .user),
            (Self.accountSeed, Self.accountPublic, .account),
            (Self.operatorSeed, Self.operatorPublic, .operator),
        ]
        for (seed, publicKey, type) in cases {
            let pair = try NKeyPair(seed: seed)
            #expect(pair.type == type)
            #expect(pair.publicKey == publicKey)
            #expect(pair.seed == seed)
            #expect(try NKeyCodec.decodeSeed(seed).seed == Array(0..<32))
        }
    }

    @Test func knownNonceSignature() throws {
        let pair = try NKeyPair(seed: Self.userSeed)
        #expect(pair.signNonce("nonce-123") == Self.nonceSignature)
    }

    @Test(arguments: NKeyType.allCases)
    func generatedKeysRoundTrip(_ type: NKeyType) throws {
        let pair = NKeyPair.generate(type)
        #expect(pair.publicKey.count == 56)
        #expect(pair.seed.count == 58)
        #expect(pair.publicKey.first == type.letter)
        #expect(pair.seed.hasPrefix("S\(type.letter)"))
        let again = try NKeyPair(seed: pair.seed)
        #expect(again.publicKey == pair.publicKey)
        let decoded = try NKeyCodec.decodePublicKey(pair.publicKey, expecting: type)
        #expect(decoded.type == type)
        #expect(decoded.key == pair.publicKeyBytes)
    }

    @Test func signAndVerify() throws {
        let pair = NKeyPair.generate(.user)
        let data = Array("the nonce".utf8)
        let signature = pair.sign(data)
        #expect(signature.count == 64)
        #expect(pair.verify(signature, for: data))
        #expect(try NKeyPair.verify(signature, for: data, publicKey: pair.publicKey))
        #expect(try !NKeyPair.verify(signature, for: Array("other".utf8), publicKey: pair.publicKey))
        var tampered = signature
        tampered[10] ^= 1
        #expect(try !NKeyPair.verify(tampered, for: data, publicKey: pair.publicKey))
        let other = NKeyPair.generate(.user)
        #expect(try !NKeyPair.verify(signature, for: data, publicKey: other.publicKey))
        // Signature of the nonce helper verifies against the decoded public key.
        let sig = try Base64URL.decode(pair.signNonce("abc"))
        #expect(try NKeyPair.verify(sig, for: Data("abc".utf8), publicKey: pair.publicKey))
    }

    @Test func badChecksumIsRejected() throws {
        var chars = Array(Self.userPublic)
        chars[20] = chars[20] == "A" ? "B" : "A"
        let error = try #require(throws: NKeyError.self) { try NKeyCodec.decodePublicKey(String(chars)) }
        #expect(error.code == .invalidChecksum)
        var seedChars = Array(Self.userSeed)
        seedChars[30] = seedChars[30] == "A" ? "B" : "A"
        let seedError = try #require(throws: NKeyError.self) { try NKeyPair(seed: String(seedChars)) }
        #expect(seedError.code == .invalidChecksum)
    }

    @Test func wrongTypeOrKindIsRejected() throws {
        let wrongType = try #require(throws: NKeyError.self) {
            try NKeyCodec.decodePublicKey(Self.accountPublic, expecting: .user)
        }
        #expect(wrongType.code == .invalidPrefix)
        let seedAsPublic = try #require(throws: NKeyError.self) { try NKeyCodec.decodePublicKey(Self.userSeed) }
        #expect(seedAsPublic.code == .notASeed)
        let publicAsSeed = try #require(throws: NKeyError.self) { try NKeyPair(seed: Self.userPublic) }
        #expect(publicAsSeed.code == .notASeed)
    }

    @Test func unknownPrefixIsRejected() throws {
        // Prefix byte 1<<3 ('B') is not a key type; encode it with a valid CRC so only the prefix is wrong.
        let body: [UInt8] = [1 << 3] + Array(repeating: 7, count: 32)
        let crc = CRC16.checksum(body)
        let text = Base32.encode(body + [UInt8(crc & 0xFF), UInt8(crc >> 8)])
        let error = try #require(throws: NKeyError.self) { try NKeyCodec.decodePublicKey(text) }
        #expect(error.code == .invalidPrefix)
    }

    @Test(arguments: [
        "", "U", "UAB2CB576PHBBPQ5ODORRZ2LYCMWPZGWGCN2KDK7DXOIMZASKUY3RL", "SUA", "garbage!!",
        "uab2cb576phbbpq5odorrz2lycmwpzgwgcn2kdk7dxoimzaskuy3rlkk", String(repeating: "A", count: 500),
    ])
    func malformedTextThrows(_ text: String) {
        #expect(throws: NKeyError.self) { try NKeyCodec.decodePublicKey(text) }
        #expect(throws: NKeyError.self) { try NKeyPair(seed: text) }
        #expect(throws: NKeyError.self) {
            try NKeyPair.verify([UInt8](repeating: 0, count: 64), for: [1], publicKey: text)
        }
    }

    @Test func wrongRawLengthsThrow() {
        #expect(throws: NKeyError.self) { try NKeyCodec.encodePublicKey([1, 2, 3], type: .user) }
        #expect(throws: NKeyError.self) { try NKeyCodec.encodeSeed(Array(repeating: 1, count: 33), type: .user) }
        #expect(throws: NKeyError.self) { try NKeyPair(type: .user, seedBytes: [1]) }
    }
}
