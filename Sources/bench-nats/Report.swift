import Foundation

/// Prints both clients side by side, the ratios and the targets.
func printTable(swift: BenchResult, python: BenchResult?, arguments: BenchArguments) {
    print("")
    print("Loopback, one nats-server (JetStream on, file store), one run. Responder for request/reply: the Swift")
    print("client (a NATSConnection subscription on bench.echo in bench-nats, echoing 16 B), used by both clients.")
    let load = (try? String(contentsOfFile: "/proc/loadavg", encoding: .utf8))?.split(separator: " ").prefix(3)
        .joined(separator: " ") ?? "?"
    print("Host: \(ProcessInfo.processInfo.activeProcessorCount) CPUs, load average \(load) (client, responder, "
        + "server and nats-py share them).")
    print("Requests: \(arguments.requests) sequential; publishes: \(arguments.publishes) x 16 B then flush; "
        + "KV: \(arguments.kvUpdates) sequential CAS updates (update with expected revision), history 1.")
    print("")
    let header = pad("metric", 26) + pad("Swift", 13) + pad(python?.client ?? "nats-py", 15) + pad("ratio", 9)
        + pad("target", 32) + "result"
    print(header)
    print(String(repeating: "-", count: header.count + 4))
    let reqRatio = ratio(python?.reqrepP50, swift.reqrepP50)
    row("request/reply p50 (µs)", swift.reqrepP50, python?.reqrepP50, reqRatio,
        "≤ 100 µs and ≥ 4× nats-py",
        verdict(swift.reqrepP50.map { $0 <= 100 }, reqRatio.map { $0 >= 4 }))
    row("request/reply p99 (µs)", swift.reqrepP99, python?.reqrepP99, ratio(python?.reqrepP99, swift.reqrepP99), "-", "")
    row("PING/PONG flush p50 (µs)", swift.flushP50, python?.flushP50, ratio(python?.flushP50, swift.flushP50),
        "diagnostic (no responder)", "")
    let pubRatio = ratio(swift.publishRate, python?.publishRate)
    row("publish 16 B (msgs/s)", swift.publishRate, python?.publishRate, pubRatio,
        "≥ 1,000,000/s and ≥ 4× nats-py",
        verdict(swift.publishRate.map { $0 >= 1_000_000 }, pubRatio.map { $0 >= 4 }))
    row("KV CAS update p50 (µs)", swift.kvP50, python?.kvP50, ratio(python?.kvP50, swift.kvP50), "≤ 150 µs",
        verdict(swift.kvP50.map { $0 <= 150 }, true))
    row("KV CAS update p99 (µs)", swift.kvP99, python?.kvP99, ratio(python?.kvP99, swift.kvP99), "-", "")
    print("")
    print("PING/PONG flush = one round trip through the server with no responder: the client's own share of")
    print("the request/reply latency; the rest is the (shared) Swift responder and the server.")
    print("ratio = how many times better the Swift client is (latency: nats-py / Swift; rate: Swift / nats-py).")
    if let note = swift.kvNote { print("KV (Swift): \(note)") }
    if python == nil { print("nats-py was not run (--no-python or no --py-script): ratios are missing.") }
}

private func row(_ name: String, _ swift: Double?, _ python: Double?, _ ratio: Double?, _ target: String, _ result: String) {
    print(pad(name, 26) + pad(format(swift), 13) + pad(format(python), 15) + pad(ratio.map { String(format: "%.1f×", $0) } ?? "n/a", 9)
        + pad(target, 32) + result)
}

private func ratio(_ numerator: Double?, _ denominator: Double?) -> Double? {
    guard let numerator, let denominator, denominator > 0 else { return nil }
    return numerator / denominator
}

/// PASS when every known condition holds; MISS when one fails; n/a when nothing was measured.
private func verdict(_ absolute: Bool?, _ relative: Bool?) -> String {
    guard let absolute else { return "n/a" }
    guard let relative else { return absolute ? "PASS (absolute only; no nats-py)" : "MISS" }
    return absolute && relative ? "PASS" : "MISS"
}

private func format(_ value: Double?) -> String {
    guard let value else { return "n/a" }
    if value >= 10_000 {
        let formatter = NumberFormatter()
        formatter.numberStyle = .decimal
        formatter.maximumFractionDigits = 0
        return formatter.string(from: NSNumber(value: value)) ?? "\(Int(value))"
    }
    return String(format: "%.1f", value)
}

private func pad(_ text: String, _ width: Int) -> String {
    text.count >= width ? text + " " : text + String(repeating: " ", count: width - text.count)
}
