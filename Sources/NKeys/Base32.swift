/// RFC 4648 base32 with the standard alphabet (`A-Z2-7`) and no `=` padding, as used by NKEYs.
public enum Base32 {
    private static let alphabet = Array("ABCDEFGHIJKLMNOPQRSTUVWXYZ234567".utf8)

    private static let decodeTable: [UInt8] = {
        var table = [UInt8](repeating: 0xFF, count: 256)
        for (index, char) in alphabet.enumerated() { table[Int(char)] = UInt8(index) }
        return table
    }()

    /// Encodes bytes as unpadded base32 text.
    /// - Parameter bytes: The bytes to encode.
    /// - Returns: Text of length `ceil(count * 8 / 5)`.
    public static func encode(_ bytes: some Sequence<UInt8>) -> String {
        var out: [UInt8] = []
        var buffer: UInt32 = 0
        var bits = 0
        for byte in bytes {
            buffer = (buffer << 8) | UInt32(byte)
            bits += 8
            while bits >= 5 {
                bits -= 5
                out.append(alphabet[Int((buffer >> UInt32(bits)) & 0x1F)])
            }
        }
        if bits > 0 {
            out.append(alphabet[Int((buffer << UInt32(5 - bits)) & 0x1F)])
        }
        return String(decoding: out, as: UTF8.self)
    }

    /// Decodes unpadded base32 text (trailing `=` padding is tolerated).
    /// - Parameter text: Base32 text, upper case.
    /// - Returns: The decoded bytes.
    /// - Throws: ``NKeyError`` with code ``NKeyError/Code/invalidBase32`` on a character outside the
    ///   alphabet, an impossible length, or non-zero leftover bits.
    public static func decode(_ text: String) throws(NKeyError) -> [UInt8] {
        var chars = Array(text.utf8)
        while chars.last == UInt8(ascii: "=") { chars.removeLast() }
        var out: [UInt8] = []
        out.reserveCapacity(chars.count * 5 / 8)
        var buffer: UInt32 = 0
        var bits = 0
        for (offset, char) in chars.enumerated() {
            let value = decodeTable[Int(char)]
            guard value != 0xFF else {
                throw NKeyError(.invalidBase32, "character at offset \(offset) is not in the base32 alphabet")
            }
            buffer = (buffer << 5) | UInt32(value)
            bits += 5
            if bits >= 8 {
                bits -= 8
                out.append(UInt8((buffer >> UInt32(bits)) & 0xFF))
            }
        }
        // A valid encoding leaves fewer than 5 bits, all zero (lengths 1, 3, 6 mod 8 are impossible).
        guard bits < 5, buffer & ((1 << UInt32(bits)) - 1) == 0 else {
            throw NKeyError(.invalidBase32, "length \(chars.count) or trailing bits are not a valid encoding")
        }
        return out
    }
}
