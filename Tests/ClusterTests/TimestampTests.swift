import Foundation
import Testing

@testable import Cluster

@Suite("Timestamp: RFC 3339 without Foundation's formatters")
struct TimestampTests {
    /// Foundation's formatter, the reference the fast one must match.
    static func reference(_ date: Date) -> String {
        let formatter = ISO8601DateFormatter()
        formatter.formatOptions = [.withInternetDateTime, .withFractionalSeconds]
        return formatter.string(from: date)
    }

    @Test("matches ISO8601DateFormatter on edge dates and many random ones")
    func matchesFoundation() {
        var dates: [Date] = [
            Date(timeIntervalSince1970: 0),
            Date(timeIntervalSince1970: 951_782_400),  // 2000-02-29T00:00:00Z
            Date(timeIntervalSince1970: 1_798_761_599.999),  // 2026-12-31T23:59:59.999Z
            Date(timeIntervalSince1970: 4_102_444_800.5),  // 2100-01-01T00:00:00.500Z
        ]
        var generator = SystemRandomNumberGenerator()
        for _ in 0..<2000 {
            // Whole milliseconds, so both sides see the same value whatever their rounding.
            let millis = Double(UInt64.random(in: 0...4_102_444_800_000, using: &generator))
            dates.append(Date(timeIntervalSince1970: millis / 1000))
        }
        for date in dates {
            // Every date here is a whole millisecond, which a double may hold as …065999: Foundation truncates
            // that to .065, the fast form reads it as .066. Nudge the reference by 0.1 µs to compare values.
            let nudged = Date(timeIntervalSince1970: date.timeIntervalSince1970 + 1e-7)
            #expect(Timestamp.rfc3339(date) == Self.reference(nudged), "\(date.timeIntervalSince1970)")
        }
    }

    @Test("the log prefix is the same instant without the zone designator")
    func logPrefix() {
        let date = Date(timeIntervalSince1970: 1_795_837_292.217)
        #expect(Timestamp.logPrefix(date) == "2026-11-28T03:41:32.217")
        #expect(Timestamp.rfc3339(date) == "2026-11-28T03:41:32.217Z")
    }

    @Test("a cooldown marker written with it reads back")
    func markerRoundTrip() throws {
        let marker = CooldownMarker(nodeId: "n1", until: Date(timeIntervalSince1970: 1_795_837_292.5))
        let back = try #require(CooldownMarker(bytes: Array(marker.json.utf8)))
        #expect(back == marker)
    }
}
