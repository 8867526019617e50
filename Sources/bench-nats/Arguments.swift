import Foundation

/// Command-line options of bench-nats.
struct BenchArguments {
    var python = "python3"
    var pyScript: String?
    var requests = 10_000
    var publishes = 1_000_000
    var kvUpdates = 2_000

    struct UsageError: Error, CustomStringConvertible {
        var description: String
    }

    init(_ raw: ArraySlice<String>) throws {
        var rest = raw
        while let flag = rest.popFirst() {
            if flag == "--no-python" {
                pyScript = nil
                continue
            }
            guard let value = rest.popFirst() else { throw UsageError(description: "\(flag) needs a value") }
            switch flag {
            case "--python": python = value
            case "--py-script": pyScript = value
            case "--requests": requests = try Self.count(flag, value)
            case "--publishes": publishes = try Self.count(flag, value)
            case "--kv-updates": kvUpdates = try Self.count(flag, value)
            default:
                throw UsageError(
                    description: "unknown option \(flag); usage: bench-nats [--python P --py-script S] "
                        + "[--requests N] [--publishes N] [--kv-updates N] [--no-python]")
            }
        }
    }

    private static func count(_ flag: String, _ value: String) throws -> Int {
        guard let n = Int(value), n > 0 else { throw UsageError(description: "\(flag) wants a positive number") }
        return n
    }
}

/// One client's numbers; `nil` where a measurement was not made.
struct BenchResult: Codable {
    var client: String
    var reqrepP50: Double?
    var reqrepP99: Double?
    var flushP50: Double?
    var flushP99: Double?
    var publishRate: Double?
    var kvP50: Double?
    var kvP99: Double?
    var kvNote: String?

    enum CodingKeys: String, CodingKey {
        case client
        case reqrepP50 = "reqrep_p50_us"
        case reqrepP99 = "reqrep_p99_us"
        case flushP50 = "flush_p50_us"
        case flushP99 = "flush_p99_us"
        case publishRate = "publish_msgs_per_s"
        case kvP50 = "kv_p50_us"
        case kvP99 = "kv_p99_us"
        case kvNote = "kv_note"
    }
}

/// The `p`-th percentile (nearest rank) of durations, in microseconds.
func percentile(_ samples: [Duration], _ p: Double) -> Double {
    let sorted = samples.sorted()
    let rank = min(sorted.count - 1, max(0, Int((p / 100 * Double(sorted.count)).rounded()) - 1))
    return sorted[rank].microseconds
}

extension Duration {
    var microseconds: Double {
        Double(components.seconds) * 1e6 + Double(components.attoseconds) / 1e12
    }
}
