import Foundation
import Testing
import VIP
import VIPTestSupport

/// Parses `key=value` lines from vip-probe.
func keyValues(_ output: String) -> [String: String] {
    var out: [String: String] = [:]
    for line in output.split(separator: "\n") {
        guard let eq = line.firstIndex(of: "=") else { continue }
        out[String(line[..<eq])] = String(line[line.index(after: eq)...])
    }
    return out
}

@Suite("Privilege drop (in the vip-probe child)", .enabled(if: isRoot, "needs root"))
struct PrivilegeTests {
    /// Runs `body` with a copy of vip-probe in a fresh world-traversable directory, so that the child can
    /// still exec it after becoming `nobody` wherever the checkout lives (e.g. under a 0700 home).
    func withProbe<T>(_ body: (String) throws -> T) throws -> T {
        let built = siblingExecutable("vip-probe")
        try #require(FileManager.default.isExecutableFile(atPath: built), "vip-probe must be built next to the tests")
        let dir = "/tmp/sc-probe-\(UInt32.random(in: 0...UInt32.max))"
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: false)
        defer { try? FileManager.default.removeItem(atPath: dir) }
        try FileManager.default.setAttributes([.posixPermissions: 0o755], ofItemAtPath: dir)
        let probe = dir + "/vip-probe"
        try FileManager.default.copyItem(atPath: built, toPath: probe)
        try FileManager.default.setAttributes([.posixPermissions: 0o755], ofItemAtPath: probe)
        return try body(probe)
    }

    func checkDroppedChild(_ arguments: [String], address: String, vip: IPv4Address) throws {
        try withProbe { probe in try checkDroppedChild(probe, arguments, address: address, vip: vip) }
    }

    func checkDroppedChild(_ probe: String, _ arguments: [String], address: String, vip: IPv4Address) throws {
        try withPair { net in
            let listener = try net.inside("b") {
                try PacketListener(interface: try RouteNetlink.open().link(named: "v1").index, ethertype: EtherType.arp)
            }
            let result = try net.exec("a", probe, arguments + ["--iface", "v0", "--address", address])
            let kv = keyValues(result.output)
            #expect(result.status == 0, "\(result.output)")
            #expect(kv["status.CapEff"] == "0000000000003000")
            #expect(kv["status.CapPrm"] == "0000000000003000")
            #expect(kv["status.CapInh"] == "0000000000000000")
            #expect(kv["status.CapAmb"] == "0000000000000000")
            #expect(kv["status.CapBnd"] == "0000000000003000")
            #expect(kv["status.Uid"] == "65534 65534 65534 65534")
            #expect(kv["status.Gid"] == "65534 65534 65534 65534")
            #expect(kv["status.NoNewPrivs"] == "1")
            #expect(kv["acquire.added"] == "true")
            #expect(kv["acquire.present"] == "true")
            #expect(kv["release.removed"] == "true")
            #expect(kv["release.present"] == "false")
            #expect(kv["forbidden.read_shadow"] == "denied")
            #expect(kv["forbidden.setuid0"] == "denied")
            #expect(kv["forbidden.bind80"] == "denied")
            // The unprivileged child's gratuitous ARP reached the peer.
            let mac = try #require(kv["link.mac"].flatMap(MACAddress.init))
            let frame = try listener.next(timeout: .seconds(2)) {
                $0.count >= 42 && Array($0[28..<32]) == vip.byteArray
            }
            #expect(frame.map { Array($0[22..<28]) } == mac.byteArray)
        }
    }

    @Test func dropFromRootKeepsExactlyNetAdminAndNetRaw() throws {
        try checkDroppedChild(
            ["drop", "--user", "nobody", "--group", "nogroup"],
            address: "198.18.0.150/24",
            vip: IPv4Address("198.18.0.150")!
        )
    }

    @Test func startedAsServiceUserWithAmbientCapabilities() throws {
        try checkDroppedChild(
            ["service-user", "--user", "nobody", "--", "drop", "--user", "nobody"],
            address: "198.18.0.151/24",
            vip: IPv4Address("198.18.0.151")!
        )
    }

    @Test func unknownUserIsAClearError() throws {
        let result = try withProbe { try runStatus($0, ["drop", "--user", "sc-no-such-user"]) }
        #expect(result.status == 2)
        #expect(keyValues(result.output)["drop.code"] == "no such user")
        #expect(result.output.contains("sc-no-such-user"))
    }

    @Test func missingCapabilityIsAClearError() throws {
        // A service user granted only CAP_NET_ADMIN cannot keep CAP_NET_RAW.
        let result = try withProbe { probe in
            try runStatus(
                probe,
                ["service-user", "--user", "nobody", "--launch-keep", "12", "--", "drop", "--user", "nobody"]
            )
        }
        #expect(result.status == 2)
        #expect(keyValues(result.output)["drop.code"] == "missing capabilities")
        #expect(result.output.contains("cap 13"))
    }

    @Test func unprivilegedOtherUserIsAClearError() throws {
        // Started as nobody (with the two capabilities) but asked to become daemon: not possible, and said so.
        let result = try withProbe { probe in
            try runStatus(probe, ["service-user", "--user", "nobody", "--", "drop", "--user", "daemon"])
        }
        #expect(result.status == 2)
        #expect(keyValues(result.output)["drop.code"] == "wrong user")
        #expect(result.output.contains("daemon"))
    }
}
