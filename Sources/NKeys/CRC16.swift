/// CRC-16/XMODEM (polynomial 0x1021, initial value 0, no reflection, no final XOR), the checksum
/// appended to every NKEY. The check value of ASCII `123456789` is `0x31C3`.
public enum CRC16 {
    private static let table: [UInt16] = (0..<256).map { byte in
        var crc = UInt16(byte) << 8
        for _ in 0..<8 {
            crc = (crc & 0x8000) != 0 ? (crc << 1) ^ 0x1021 : crc << 1
        }
        return crc
    }

    /// Computes the checksum of `bytes`.
    /// - Parameter bytes: The data to checksum.
    /// - Returns: The CRC-16/XMODEM value.
    public static func checksum(_ bytes: some Sequence<UInt8>) -> UInt16 {
        var crc: UInt16 = 0
        for byte in bytes {
            crc = (crc << 8) ^ table[Int(UInt8(truncatingIfNeeded: crc >> 8) ^ byte)]
        }
        return crc
    }
}
