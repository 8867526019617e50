// bench-vip: acquiring and releasing a VIP with the engine (netlink add + first GARP on the wire) side by
// side with go-cluster's shell-out (`ip addr add` + `arping -U -c 1`), in a namespace pair this benchmark
// creates and removes. Needs root. `make bench-vip` builds it in release and runs it.
import Foundation
import VIP
import VIPTestSupport

let iterations = Int(ProcessInfo.processInfo.environment["BENCH_VIP_ITERATIONS"] ?? "") ?? 200
let cidr = "198.18.0.100/24"

struct Samples {
    var name: String
    var nanos: [Int64] = []
    func percentile(_ p: Double) -> Int64 {
        let sorted = nanos.sorted()
        return sorted[min(sorted.count - 1, max(0, Int((Double(sorted.count) * p).rounded(.up)) - 1))]
    }
}

func time(_ body: () throws -> Void) rethrows -> Int64 {
    let start = ContinuousClock.now
    try body()
    let d = start.duration(to: .now)
    return d.components.seconds * 1_000_000_000 + d.components.attoseconds / 1_000_000_000
}

func format(_ nanos: Int64) -> String {
    nanos >= 1_000_000
        ? String(format: "%8.2f ms", Double(nanos) / 1e6) : String(format: "%8.1f µs", Double(nanos) / 1e3)
}

/// The engine: `VIPManager.acquire()` returns once the address is acknowledged by the kernel and the first
/// gratuitous ARP has been handed to the veth (which delivers it to the peer synchronously).
/// A second pass also waits until the peer's packet socket has received the GARP.
func benchEngine(until listener: PacketListener) throws -> (Samples, Samples, Samples) {
    var acquire = Samples(name: "acquire, engine (netlink + GARP)")
    var received = Samples(name: "  until the peer has received the GARP")
    var release = Samples(name: "release, engine (netlink)")
    let manager = try VIPManager.open(
        vips: [VIPConfiguration(cidr: cidr, interface: "v0")!],
        policy: AnnouncementPolicy(count: 1)
    )
    for i in 0..<(iterations + 10) {
        let a = try time { try manager.acquire() }
        let r = try time { try manager.release() }
        if i >= 10 {
            acquire.nanos.append(a)
            release.nanos.append(r)
        }
    }
    while try listener.next(timeout: .milliseconds(100)) != nil {}  // drain the first pass
    for _ in 0..<iterations {
        var frame: [UInt8]?
        let w = try time {
            try manager.acquire()
            frame = try listener.next(timeout: .seconds(1))
        }
        try manager.release()
        if frame != nil { received.nanos.append(w) }
    }
    return (acquire, received, release)
}

/// The shell-out, run from a thread inside the namespace (children inherit it). `-w 0` keeps arping from
/// waiting a second for replies that never come: the shell-out's best case.
func benchShell() throws -> (Samples, Samples, Samples) {
    var acquire = Samples(name: "acquire, shell-out (ip addr add + arping -U -c 1)")
    var ipOnly = Samples(name: "  of which ip addr add alone")
    var release = Samples(name: "release, shell-out (ip addr del)")
    for i in 0..<(iterations + 3) {
        var add: Int64 = 0
        let a = try time {
            add = try time { try run("/usr/sbin/ip", ["addr", "add", cidr, "dev", "v0"]) }
            _ = try runStatus("/usr/sbin/arping", ["-q", "-U", "-c", "1", "-w", "0", "-i", "v0", "198.18.0.100"])
        }
        let r = try time { try run("/usr/sbin/ip", ["addr", "del", cidr, "dev", "v0"]) }
        if i >= 3 {
            acquire.nanos.append(a)
            ipOnly.nanos.append(add)
            release.nanos.append(r)
        }
    }
    return (acquire, ipOnly, release)
}

guard isRoot else {
    print("bench-vip: needs root (it creates network namespaces)")
    exit(1)
}
let net = try TestNetwork(roles: ["a", "b"], links: [("a", "v0", "b", "v1")])
defer { net.remove() }
do {
    let listener = try net.inside("b") {
        try PacketListener(interface: try RouteNetlink.open().link(named: "v1").index, ethertype: EtherType.arp)
    }
    let (engineAcquire, engineReceived, engineRelease) = try net.inside("a") { try benchEngine(until: listener) }
    let (shellAcquire, shellAdd, shellRelease) = try net.inside("a") { try benchShell() }

    print("bench-vip: \(iterations) iterations in \(net["a"]) (veth to \(net["b"])), VIP \(cidr)")
    print("                                                        p50          p99")
    for s in [engineAcquire, engineReceived, shellAcquire, shellAdd, engineRelease, shellRelease] {
        print(
            s.name.padding(toLength: 50, withPad: " ", startingAt: 0),
            format(s.percentile(0.5)),
            " ",
            format(s.percentile(0.99))
        )
    }
    let speedup = Double(shellAcquire.percentile(0.5)) / Double(engineAcquire.percentile(0.5))
    let releaseSpeedup = Double(shellRelease.percentile(0.5)) / Double(engineRelease.percentile(0.5))
    print(String(format: "acquire p50 speed-up: %.0f×   release p50 speed-up: %.0f×", speedup, releaseSpeedup))
    print("GARPs received by the peer in the second pass: \(engineReceived.nanos.count) of \(iterations)")
    let okLatency = engineAcquire.percentile(0.5) <= 200_000
    print(
        "target acquire p50 ≤ 200 µs: \(okLatency ? "met" : "MISSED");  target ≥ 20× the shell-out: \(speedup >= 20 ? "met" : "MISSED")"
    )
} catch {
    print("bench-vip: \(error)")
    net.remove()
    exit(1)
}
