import Testing

@testable import NKeys

@Suite struct EncodingTests {
    @Test func crc16CheckValue() {
        #expect(CRC16.checksum(Array("123456789".utf8)) == 0x31C3)
        #expect(CRC16.checksum([UInt8]()) == 0)
    }

    @Test func base32KnownVectors() throws {
        // RFC 4648 §10, padding stripped.
        let vectors = [
            "": "", "f": "MY", "fo": "MZXQ", "foo": "MZXW6", "foob": "MZXW6YQ", "fooba": "MZXW6YTB",
            "foobar": "MZXW6YTBOI",
        ]
        for (plain, encoded) in vectors {
            #expect(Base32.encode(Array(plain.utf8)) == encoded)
            #expect(try Base32.decode(encoded) == Array(plain.utf8))
        }
        #expect(try Base32.decode("MZXW6YQ=") == Array("foob".utf8))
    }

    @Test func base32RoundTripsEveryLength() throws {
        for length in 0..<70 {
            let bytes = (0..<length).map { UInt8(truncatingIfNeeded: $0 &* 37 &+ 11) }
            #expect(try Base32.decode(Base32.encode(bytes)) == bytes)
        }
    }

    @Test(arguments: ["mzxw6", "MZXW1", "MZ XW", "M", "MZX", "MZXW6Y!", "MZ", "é"])
    func base32RejectsMalformedText(_ text: String) {
        #expect(throws: NKeyError.self) { try Base32.decode(text) }
    }

    @Test func base64URLRoundTripAndAlphabet() throws {
        for length in 0..<40 {
            let bytes = (0..<length).map { UInt8(truncatingIfNeeded: 250 &+ $0 &* 7) }
            let text = Base64URL.encode(bytes)
            #expect(!text.contains("=") && !text.contains("+") && !text.contains("/"))
            #expect(try Base64URL.decode(text) == bytes)
        }
        #expect(try Base64URL.decode("-_8") == [0xFB, 0xFF])
        #expect(try Base64URL.decode("+/8=") == [0xFB, 0xFF])
        #expect(throws: NKeyError.self) { try Base64URL.decode("abcde") }
        #expect(throws: NKeyError.self) { try Base64URL.decode("ab!d") }
    }
}
