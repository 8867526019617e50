import Foundation

/// A limit from the issue on one percentile of a scenario, e.g. p50 ≤ 5 ms.
struct Target {
    var percentile: Double
    var limit: Duration

    var text: String { "\(percentile == 50 ? "p50" : "p\(Int(percentile))") ≤ \(Int(limit.milliseconds)) ms" }
}

/// One row of the table: a scenario's samples and the targets it is held to (none: informational).
struct ScenarioRow {
    var name: String
    var samples: [Duration]
    var targets: [Target] = []

    /// MET when every target holds, MISS when one does not, "-" without targets or samples.
    var verdict: String {
        guard !targets.isEmpty, !samples.isEmpty else { return "-" }
        return targets.allSatisfy { percentile(samples, $0.percentile) <= $0.limit } ? "MET" : "MISS"
    }
}

/// The `p`-th percentile by the nearest-rank method: the smallest sample such that at least p % of the
/// samples are less than or equal to it, i.e. the sample at 1-based rank ⌈p/100 · n⌉ of the sorted list.
/// The median is p50 by the same rule (for an even n, the lower of the two middle samples). With fewer
/// than 100 samples, p99 is the maximum.
func percentile(_ samples: [Duration], _ p: Double) -> Duration {
    let sorted = samples.sorted()
    let rank = Int((p / 100 * Double(sorted.count)).rounded(.up))
    return sorted[min(sorted.count, max(1, rank)) - 1]
}

/// Prints the table: scenario, runs, median, p99, min, max, target, MET/MISS.
func printTable(_ rows: [ScenarioRow]) {
    let header = pad("scenario", 50) + lpad("runs", 5) + lpad("median", 11) + lpad("p99", 11) + lpad("min", 11)
        + lpad("max", 11) + "   " + pad("target", 24) + "result"
    print(header)
    print(String(repeating: "-", count: header.count))
    for row in rows {
        guard !row.samples.isEmpty else {
            print(pad(row.name, 50) + lpad("0", 5) + "   (not run)")
            continue
        }
        let sorted = row.samples.sorted()
        let target = row.targets.isEmpty ? "-" : row.targets.map(\.text).joined(separator: ", ")
        print(
            pad(row.name, 50) + lpad("\(row.samples.count)", 5) + lpad(ms(percentile(sorted, 50)), 11)
                + lpad(ms(percentile(sorted, 99)), 11) + lpad(ms(sorted[0]), 11) + lpad(ms(sorted[sorted.count - 1]), 11)
                + "   " + pad(target, 24) + row.verdict)
    }
}

/// "12.34 ms".
func ms(_ duration: Duration) -> String { String(format: "%.2f ms", duration.milliseconds) }

private func pad(_ text: String, _ width: Int) -> String {
    text.count >= width ? text + " " : text + String(repeating: " ", count: width - text.count)
}

private func lpad(_ text: String, _ width: Int) -> String {
    text.count >= width ? " " + text : String(repeating: " ", count: width - text.count) + text
}
