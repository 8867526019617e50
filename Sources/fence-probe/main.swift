// fence-probe: the fence warden tests' child process, run under `ip netns exec` in a test namespace; the
// test reads its `key=value` lines and kills, stops or waits for it.
//
//   fence-probe --iface IF --address A/LEN --deadline-ms N --mode wait|disarm [--user U]
//       [drop to U keeping CAP_NET_ADMIN + CAP_NET_RAW, as the daemon does,] start a FenceWarden, add the
//       address, arm the warden with a deadline N ms ahead, print `warden=PID` and `armed=1`, then
//       wait:   sleep until killed (SIGKILL: the warden removes the address at EOF; SIGSTOP: at the deadline);
//       disarm: disarm, remove the address, add it again, stay until 300 ms past the deadline, print
//               `done=1` and exit 0 (the warden must leave the re-added address alone and exit too).
import Agent
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
    exit(code)
}

let args = Array(CommandLine.arguments.dropFirst())
guard let iface = option("--iface", in: args), let cidr = option("--address", in: args),
    let deadlineMs = option("--deadline-ms", in: args).flatMap(Int.init), let mode = option("--mode", in: args),
    ["wait", "disarm"].contains(mode), let vip = VIPConfiguration(cidr: cidr, interface: iface)
else { fail("usage: fence-probe --iface IF --address A/LEN --deadline-ms N --mode wait|disarm [--user U]", code: 64) }

do {
    if let user = option("--user", in: args) {
        _ = try PrivilegeDrop.drop(PrivilegeDropOptions(user: user))
        emit("uid", getuid())
    }
    let warden = try FenceWarden.start(log: { emit("log", $0) })
    emit("warden", warden.pid)
    let manager = VIPManager(vips: [vip], netlink: try RouteNetlink.open(), announcer: nil)
    let deadline = ContinuousClock.now + .milliseconds(deadlineMs)
    warden.arm(until: deadline, deleteRequests: try manager.removalRequests())
    emit("added", try manager.acquire()[0])
    emit("armed", 1)
    if mode == "wait" {
        while true { pause() }
    }
    warden.disarm()
    emit("removed", try manager.release()[0])
    emit("readded", try manager.acquire()[0])
    try await Task.sleep(until: deadline + .milliseconds(300), clock: .continuous)
    emit("present", try manager.isAcquired())
    emit("done", 1)
} catch {
    fail("\(error)")
}
