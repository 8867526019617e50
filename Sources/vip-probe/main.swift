// vip-probe: the test suite's child process. Dropping privileges must never happen in the test runner,
// so tests run this helper (usually under `ip netns exec`) and read its `key=value` output.
//
//   vip-probe drop --user U [--group G] [--iface IF --address A/LEN]
//       drop to U keeping CAP_NET_ADMIN + CAP_NET_RAW, print /proc/self/status, then add the address,
//       send a gratuitous ARP / NA, remove the address, and try operations that need other capabilities.
//   vip-probe service-user --user U [--launch-keep CAP,...] -- <drop arguments>
//       emulate systemd User= + AmbientCapabilities=: become U with ambient caps, exec `drop`.
import Capabilities
import Foundation
@preconcurrency import Glibc
import VIP

func option(_ name: String, in args: [String]) -> String? {
    guard let i = args.firstIndex(of: name), i + 1 < args.count else { return nil }
    return args[i + 1]
}

func emit(_ key: String, _ value: Any) {
    print("\(key)=\(value)")
    fflush(nil)
}

func fail(_ message: String, code: Int32 = 1) -> Never {
    emit("error", message)
    fflush(nil)
    exit(code)
}

func printStatus() {
    let status = (try? String(contentsOfFile: "/proc/self/status", encoding: .utf8)) ?? ""
    for line in status.split(separator: "\n") {
        let parts = line.split(separator: ":", maxSplits: 1)
        guard parts.count == 2 else { continue }
        let key = String(parts[0])
        if ["CapInh", "CapPrm", "CapEff", "CapBnd", "CapAmb", "Uid", "Gid", "NoNewPrivs", "Groups"].contains(key) {
            emit(
                "status.\(key)",
                parts[1].trimmingCharacters(in: .whitespaces).replacingOccurrences(of: "\t", with: " ")
            )
        }
    }
}

/// Operations that need capabilities other than NET_ADMIN/NET_RAW; each must fail.
func tryForbidden() {
    emit("forbidden.read_shadow", FileManager.default.contents(atPath: "/etc/shadow") == nil ? "denied" : "allowed")
    emit("forbidden.setuid0", setuid(0) == 0 ? "allowed" : "denied")
    let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
    var addr = sockaddr_in()
    addr.sin_family = sa_family_t(AF_INET)
    addr.sin_port = in_port_t(80).bigEndian
    let rc = withUnsafePointer(to: &addr) {
        $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
    }
    emit("forbidden.bind80", rc == 0 ? "allowed" : "denied")
    close(fd)
}

func exerciseNetwork(iface: String, cidr: String) {
    guard let vip = VIPConfiguration(cidr: cidr, interface: iface) else { fail("bad address \(cidr)") }
    do {
        let netlink = try RouteNetlink.open()
        let link = try netlink.link(named: iface)
        emit("link.mac", link.mac.map(\.description) ?? "none")
        let manager = VIPManager(vips: [vip], netlink: netlink, announcer: try Announcer.open())
        emit("acquire.added", try manager.acquire()[0])
        emit("acquire.present", try manager.isAcquired())
        emit("announce.frames", try Announcer.open().announceOnce(vip.address, on: link, arpForm: .both))
        emit("release.removed", try manager.release()[0])
        emit("release.present", try manager.isAcquired())
    } catch {
        fail("network: \(error)")
    }
}

func drop(_ args: [String]) {
    var options = PrivilegeDropOptions(user: option("--user", in: args) ?? "swift-cluster")
    options.group = option("--group", in: args)
    do {
        let result = try PrivilegeDrop.drop(options)
        emit("drop", "ok")
        emit("drop.mask", String(Capability.mask(result.effective), radix: 16))
    } catch {
        emit("drop.code", error.code.rawValue)
        fail("\(error)", code: 2)
    }
    printStatus()
    if let iface = option("--iface", in: args), let cidr = option("--address", in: args) {
        exerciseNetwork(iface: iface, cidr: cidr)
    }
    tryForbidden()
}

func serviceUser(_ args: [String]) {
    guard let split = args.firstIndex(of: "--") else { fail("service-user needs -- <drop arguments>") }
    var options = PrivilegeDropOptions(user: option("--user", in: Array(args[..<split])) ?? "swift-cluster")
    if let keep = option("--launch-keep", in: Array(args[..<split])) {
        options.keep = Set(keep.split(separator: ",").compactMap { Int32($0) }.map(Capability.init(rawValue:)))
    }
    let error = PrivilegeDrop.execAsServiceUser(options, path: "/proc/self/exe", arguments: Array(args[(split + 1)...]))
    emit("drop.code", error.code.rawValue)
    fail("\(error)", code: 3)
}

let args = Array(CommandLine.arguments.dropFirst())

switch args.first {
case "drop": drop(Array(args.dropFirst()))
case "service-user": serviceUser(Array(args.dropFirst()))
default: fail("usage: vip-probe drop|service-user …", code: 64)
}
