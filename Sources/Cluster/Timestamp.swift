import Foundation

#if canImport(Glibc)
import Glibc
#endif

/// UTC timestamps as text, without Foundation's formatters.
///
/// `ISO8601DateFormatter` and `Date.formatted(.iso8601…)` cost 100–200 µs a call on Linux (2.5 ms for the
/// first one in a process), and timestamps sit on the failover path: the lease's `acquired_at` is written by
/// the acquiring write, every log line has one. `gmtime_r` and a few digits cost well under a microsecond.
public enum Timestamp {
    /// `2026-11-28T03:41:32.217Z` (RFC 3339, UTC, milliseconds).
    public static func rfc3339(_ date: Date) -> String { text(date, zone: true) }

    /// `2026-11-28T03:41:32.217` (UTC, milliseconds, no zone designator): the agent's log line prefix.
    public static func logPrefix(_ date: Date = Date()) -> String { text(date, zone: false) }

    static func text(_ date: Date, zone: Bool) -> String {
        // Whole microseconds first (a double holding …709.534 may read …709.53399), then truncate.
        let micros = Int64((date.timeIntervalSince1970 * 1_000_000).rounded())
        let totalMillis = micros >= 0 ? micros / 1000 : (micros - 999) / 1000
        let seconds = Int(totalMillis >= 0 ? totalMillis / 1000 : (totalMillis - 999) / 1000)
        let millis = Int(totalMillis - Int64(seconds) * 1000)
        var time = time_t(seconds)
        var parts = tm()
        gmtime_r(&time, &parts)
        var out = [UInt8]()
        out.reserveCapacity(24)
        func digits(_ value: Int, _ count: Int) {
            var divisor = 1
            for _ in 1..<count { divisor *= 10 }
            var rest = max(0, value)
            for _ in 0..<count {
                out.append(UInt8(ascii: "0") + UInt8(rest / divisor % 10))
                rest %= divisor
                divisor /= 10
            }
        }
        digits(Int(parts.tm_year) + 1900, 4)
        out.append(UInt8(ascii: "-"))
        digits(Int(parts.tm_mon) + 1, 2)
        out.append(UInt8(ascii: "-"))
        digits(Int(parts.tm_mday), 2)
        out.append(UInt8(ascii: "T"))
        digits(Int(parts.tm_hour), 2)
        out.append(UInt8(ascii: ":"))
        digits(Int(parts.tm_min), 2)
        out.append(UInt8(ascii: ":"))
        digits(Int(parts.tm_sec), 2)
        out.append(UInt8(ascii: "."))
        digits(millis, 3)
        if zone { out.append(UInt8(ascii: "Z")) }
        return String(decoding: out, as: UTF8.self)
    }
}

/// RFC 3339 with milliseconds, UTC.
func rfc3339(_ date: Date) -> String { Timestamp.rfc3339(date) }

