/// Unique identifiers in the style of nats-io/nuid: 22 base-62 characters, a 12-character random
/// prefix followed by a 10-character sequence that grows by a random increment.
///
/// Used for inboxes and service ids. Not thread-safe: keep one per owner.
public struct NUID: Sendable {
    static let digits: [UInt8] = Array("0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz".utf8)
    static let prefixLength = 12
    static let sequenceLength = 10
    static let maxSequence: UInt64 = 839_299_365_868_340_224  // 62^10
    static let minIncrement: UInt64 = 33
    static let maxIncrement: UInt64 = 333

    private var prefix: [UInt8] = []
    private var sequence: UInt64 = 0
    private var increment: UInt64 = 0

    public init() {
        randomizePrefix()
        resetSequence()
    }

    /// Returns the next identifier.
    public mutating func next() -> String {
        sequence += increment
        if sequence >= Self.maxSequence {
            randomizePrefix()
            resetSequence()
        }
        var bytes = prefix
        bytes.reserveCapacity(Self.prefixLength + Self.sequenceLength)
        var value = sequence
        var tail = [UInt8](repeating: 48, count: Self.sequenceLength)
        for index in stride(from: Self.sequenceLength - 1, through: 0, by: -1) {
            tail[index] = Self.digits[Int(value % 62)]
            value /= 62
        }
        bytes += tail
        return String(decoding: bytes, as: UTF8.self)
    }

    private mutating func randomizePrefix() {
        var generator = SystemRandomNumberGenerator()
        prefix = (0..<Self.prefixLength).map { _ in Self.digits[Int(generator.next() % 62)] }
    }

    private mutating func resetSequence() {
        sequence = UInt64.random(in: 0..<Self.maxSequence)
        increment = UInt64.random(in: Self.minIncrement..<Self.maxIncrement)
    }
}
