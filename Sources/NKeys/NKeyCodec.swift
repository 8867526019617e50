/// Text encoding of NKEY public keys and seeds: base32 of `prefix || key || CRC16 (little-endian)`.
///
/// A public key is one prefix byte + 32 key bytes (56 characters); a seed is two prefix bytes
/// (`S` + type letter) + 32 Ed25519 seed bytes (58 characters).
public enum NKeyCodec {
    /// The first byte of every seed holds this value in its top five bits (base32 `S`).
    static let seedPrefixByte: UInt8 = 18 << 3
    /// The number of raw key or seed bytes.
    public static let keyLength = 32

    /// Encodes a 32-byte Ed25519 public key as NKEY text.
    /// - Parameters:
    ///   - key: The raw public key; must be 32 bytes.
    ///   - type: The key's role.
    /// - Returns: 56 characters starting with the type letter.
    /// - Throws: ``NKeyError`` with ``NKeyError/Code/invalidLength`` if `key` is not 32 bytes.
    public static func encodePublicKey(_ key: [UInt8], type: NKeyType) throws(NKeyError) -> String {
        guard key.count == keyLength else {
            throw NKeyError(.invalidLength, "a public key has \(keyLength) bytes, got \(key.count)")
        }
        return encodeWithChecksum([type.prefixByte] + key)
    }

    /// Encodes a 32-byte Ed25519 seed as NKEY seed text.
    /// - Parameters:
    ///   - seed: The raw private seed; must be 32 bytes.
    ///   - type: The key's role.
    /// - Returns: 58 characters starting with `S` and the type letter.
    /// - Throws: ``NKeyError`` with ``NKeyError/Code/invalidLength`` if `seed` is not 32 bytes.
    public static func encodeSeed(_ seed: [UInt8], type: NKeyType) throws(NKeyError) -> String {
        guard seed.count == keyLength else {
            throw NKeyError(.invalidLength, "a seed has \(keyLength) bytes, got \(seed.count)")
        }
        let byte0 = seedPrefixByte | (type.prefixByte >> 5)
        let byte1 = (type.prefixByte & 31) << 3
        return encodeWithChecksum([byte0, byte1] + seed)
    }

    /// Decodes NKEY public-key text.
    /// - Parameters:
    ///   - text: A public key such as `UD...`.
    ///   - expected: If given, the type the key must have.
    /// - Returns: The key type and its 32 raw bytes.
    /// - Throws: ``NKeyError`` (bad base32, length, checksum, prefix, or a seed passed as a public key).
    public static func decodePublicKey(
        _ text: String,
        expecting expected: NKeyType? = nil
    ) throws(NKeyError) -> (type: NKeyType, key: [UInt8]) {
        let raw = try decodeChecked(text, what: "public key")
        guard raw.count == 1 + keyLength else {
            if raw.count == 2 + keyLength, raw[0] & 0xF8 == seedPrefixByte {
                throw NKeyError(.notASeed, "expected a public key, got a seed")
            }
            throw NKeyError(.invalidLength, "a public key decodes to \(1 + keyLength) bytes, got \(raw.count)")
        }
        guard let type = NKeyType(prefixByte: raw[0]) else {
            throw NKeyError(.invalidPrefix, "prefix byte \(raw[0]) is not a known public-key type")
        }
        try check(type, expected: expected)
        return (type, Array(raw[1...]))
    }

    /// Decodes NKEY seed text.
    /// - Parameters:
    ///   - text: A seed such as `SUA...`.
    ///   - expected: If given, the type the seed must have.
    /// - Returns: The key type and the 32-byte Ed25519 seed.
    /// - Throws: ``NKeyError`` (bad base32, length, checksum, prefix, or a public key passed as a seed).
    public static func decodeSeed(
        _ text: String,
        expecting expected: NKeyType? = nil
    ) throws(NKeyError) -> (type: NKeyType, seed: [UInt8]) {
        let raw = try decodeChecked(text, what: "seed")
        guard raw.count == 2 + keyLength else {
            if raw.count == 1 + keyLength {
                throw NKeyError(.notASeed, "expected a seed, got something the length of a public key")
            }
            throw NKeyError(.invalidLength, "a seed decodes to \(2 + keyLength) bytes, got \(raw.count)")
        }
        guard raw[0] & 0xF8 == seedPrefixByte else {
            throw NKeyError(.notASeed, "first prefix byte \(raw[0]) does not mark a seed")
        }
        let typeByte = ((raw[0] & 7) << 5) | ((raw[1] & 0xF8) >> 3)
        guard let type = NKeyType(prefixByte: typeByte) else {
            throw NKeyError(.invalidPrefix, "seed type byte \(typeByte) is not a known key type")
        }
        try check(type, expected: expected)
        return (type, Array(raw[2...]))
    }

    private static func check(_ type: NKeyType, expected: NKeyType?) throws(NKeyError) {
        if let expected, expected != type {
            throw NKeyError(.invalidPrefix, "expected a \(expected) key, got a \(type) key")
        }
    }

    private static func encodeWithChecksum(_ bytes: [UInt8]) -> String {
        let crc = CRC16.checksum(bytes)
        return Base32.encode(bytes + [UInt8(crc & 0xFF), UInt8(crc >> 8)])
    }

    /// Base32-decodes `text`, verifies and strips the trailing little-endian CRC16.
    private static func decodeChecked(_ text: String, what: String) throws(NKeyError) -> [UInt8] {
        let raw = try Base32.decode(text)
        guard raw.count >= 3 else {
            throw NKeyError(.invalidLength, "\(what) text is too short (\(raw.count) bytes)")
        }
        let body = raw.dropLast(2)
        let stored = UInt16(raw[raw.count - 2]) | UInt16(raw[raw.count - 1]) << 8
        guard CRC16.checksum(body) == stored else {
            throw NKeyError(.invalidChecksum, "\(what) checksum does not match")
        }
        return Array(body)
    }
}
