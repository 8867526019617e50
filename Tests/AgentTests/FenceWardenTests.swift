import Agent
import Election
import Foundation
import Synchronization
import Testing
import VIP
import VIPTestSupport

#if canImport(Glibc)
import Glibc
#endif

/// The fence warden against a real kernel: `fence-probe` starts one inside a throwaway namespace, adds an
/// address and arms it; the test kills, stops or lets the probe finish and watches the address.
@Suite("Fence warden (fence-probe in a namespace)", .serialized, .enabled(if: isRoot, "needs root"))
struct FenceWardenTests {
    /// A running `fence-probe`: its `key=value` lines as they arrive; stderr (the warden's) in a file.
    final class Probe: @unchecked Sendable {
        let process = Process()
        let lines = Mutex<[String: String]>([:])
        let stderrPath = "/tmp/sc-fence-\(UInt32.random(in: 0...UInt32.max)).err"

        init(_ net: TestNetwork, _ arguments: [String]) throws {
            let probe = siblingExecutable("fence-probe")
            try #require(FileManager.default.isExecutableFile(atPath: probe), "fence-probe must be built next to the tests")
            _ = FileManager.default.createFile(atPath: stderrPath, contents: nil)
            process.executableURL = URL(fileURLWithPath: "/usr/sbin/ip")
            process.arguments = ["netns", "exec", net["a"], probe] + arguments
            let out = Pipe()
            process.standardOutput = out
            process.standardError = FileHandle(forWritingAtPath: stderrPath)
            let buffer = Mutex("")
            out.fileHandleForReading.readabilityHandler = { handle in
                let data = handle.availableData
                guard !data.isEmpty else { handle.readabilityHandler = nil; return }
                buffer.withLock { text in
                    text += String(decoding: data, as: UTF8.self)
                    while let newline = text.firstIndex(of: "\n") {
                        let line = text[..<newline]
                        text = String(text[text.index(after: newline)...])
                        if let eq = line.firstIndex(of: "=") {
                            self.lines.withLock { $0[String(line[..<eq])] = String(line[line.index(after: eq)...]) }
                        }
                    }
                }
            }
            try process.run()
        }

        /// `ip netns exec` execs the probe, so this is the probe's pid.
        var pid: pid_t { process.processIdentifier }

        /// Waits for a key to be printed.
        func value(_ key: String, timeout: Duration = .seconds(5)) -> String? {
            _ = eventually(timeout: timeout, every: .milliseconds(2)) { lines.withLock { $0[key] != nil } }
            return lines.withLock { $0[key] }
        }

        var stderr: String { (try? String(contentsOfFile: stderrPath, encoding: .utf8)) ?? "" }

        /// Kills the probe if it still runs (only the process this test started), removes the stderr file.
        func finish() {
            if process.isRunning { kill(pid, SIGKILL) }
            process.waitUntilExit()
            try? FileManager.default.removeItem(atPath: stderrPath)
        }
    }

    /// Whether `pid` has exited (gone, or a zombie nobody reaped yet).
    static func isGone(_ pid: pid_t) -> Bool {
        guard let stat = try? String(contentsOfFile: "/proc/\(pid)/stat", encoding: .utf8),
            let close = stat.lastIndex(of: ")")
        else { return true }
        return stat[stat.index(after: close)...].trimmingCharacters(in: .whitespaces).first == "Z"
    }

    /// Runs `body` with a namespace pair, a netlink socket in `a` and a probe guarding `address` on `v0`.
    func withProbe(
        address: String, deadlineMs: Int, mode: String, user: String? = nil,
        _ body: (TestNetwork, Probe, () throws -> Bool) throws -> Void
    ) throws {
        let net = try TestNetwork(roles: ["a", "b"], links: [("a", "v0", "b", "v1")])
        defer { net.remove() }
        let netlink = try net.inside("a") { try RouteNetlink.open() }
        let vip = try #require(VIPConfiguration(cidr: address, interface: "v0"))
        let manager = VIPManager(vips: [vip], netlink: netlink, announcer: nil)
        let probe = try Probe(
            net,
            ["--iface", "v0", "--address", address, "--deadline-ms", "\(deadlineMs)", "--mode", mode]
                + (user.map { ["--user", $0] } ?? []))
        defer { probe.finish() }
        try body(net, probe, { try manager.isAcquired() })
    }

    /// Polls every 2 ms for up to 2 s after `since`: the last instant the address was seen and the first it
    /// was gone (`nil`: never gone).
    static func watchRemoval(
        since: ContinuousClock.Instant, present: () throws -> Bool
    ) throws -> (ContinuousClock.Instant, ContinuousClock.Instant?) {
        var lastPresent = since
        while ContinuousClock.now < since + .seconds(2) {
            let now = ContinuousClock.now
            if try present() { lastPresent = now } else { return (lastPresent, now) }
            Thread.sleep(forTimeInterval: 0.002)
        }
        return (lastPresent, nil)
    }

    @Test func aKilledAgentsAddressServesUntilItsDeadlineThenGoes() throws {
        try withProbe(address: "198.18.0.160/24", deadlineMs: 600, mode: "wait", user: "nobody") { _, probe, present in
            let warden = try #require(probe.value("warden").flatMap { pid_t($0) })
            #expect(probe.value("armed") == "1", "\(probe.lines.withLock { $0 })")
            #expect(probe.value("uid") == "65534")
            #expect(try present())
            #expect(!Self.isGone(warden))

            // The deadline is at most 600 ms after this point (armed before printed).
            let armed = ContinuousClock.now
            kill(probe.pid, SIGKILL)
            let (lastPresent, firstGone) = try Self.watchRemoval(since: armed, present: present)
            let gone = try #require(firstGone, "the address outlived the dead agent's deadline by 1.4 s")
            #expect(lastPresent - armed >= .milliseconds(450), "removed \(lastPresent - armed) after arming, before the deadline")
            #expect(gone - armed <= .milliseconds(900), "removed only \(gone - armed) after arming")
            #expect(eventually(timeout: .seconds(2)) { Self.isGone(warden) }, "the warden outlived its agent")
            #expect(probe.stderr.contains("swift-cluster fence: the agent is gone while holding the VIPs: they stay until its leadership deadline"), "\(probe.stderr)")
            #expect(probe.stderr.contains("swift-cluster fence: the dead agent's leadership deadline passed: removed the VIPs (1 removed"), "\(probe.stderr)")
        }
    }

    @Test func aStoppedAgentsAddressIsRemovedAtTheDeadlineNotBefore() throws {
        try withProbe(address: "198.18.0.161/24", deadlineMs: 500, mode: "wait") { _, probe, present in
            let warden = try #require(probe.value("warden").flatMap { pid_t($0) })
            #expect(probe.value("armed") == "1", "\(probe.lines.withLock { $0 })")
            // The deadline is at most 500 ms after this point (armed before printed).
            let armed = ContinuousClock.now
            kill(probe.pid, SIGSTOP)
            let (lastPresent, firstGone) = try Self.watchRemoval(since: armed, present: present)
            let gone = try #require(firstGone, "the address outlived the deadline by 1.5 s")
            #expect(lastPresent - armed >= .milliseconds(400), "removed \(lastPresent - armed) after arming, before the deadline")
            #expect(gone - armed <= .milliseconds(800), "removed only \(gone - armed) after arming")
            #expect(probe.stderr.contains("swift-cluster fence: leadership deadline passed without renewal: removed the VIPs (1 removed"), "\(probe.stderr)")
            #expect(!Self.isGone(warden), "the warden waits for its agent after firing")

            // Killed now, the agent leaves a disarmed warden: it exits without a word.
            kill(probe.pid, SIGKILL)
            #expect(eventually(timeout: .seconds(2)) { Self.isGone(warden) }, "the warden outlived its agent")
            #expect(probe.stderr.components(separatedBy: "swift-cluster fence:").count == 2, "\(probe.stderr)")
        }
    }

    @Test func aDisarmedWardenLeavesAddressesAloneAndExitsWithItsAgent() throws {
        try withProbe(address: "198.18.0.162/24", deadlineMs: 500, mode: "disarm") { _, probe, present in
            let warden = try #require(probe.value("warden").flatMap { pid_t($0) })
            #expect(probe.value("done", timeout: .seconds(5)) == "1", "\(probe.lines.withLock { $0 })")
            #expect(probe.value("removed") == "true")
            #expect(probe.value("readded") == "true")
            #expect(probe.value("present") == "true", "the disarmed warden removed the re-added address at the deadline")
            #expect(eventually(timeout: .seconds(5)) { !probe.process.isRunning })
            #expect(probe.process.terminationStatus == 0)
            #expect(eventually(timeout: .seconds(2)) { Self.isGone(warden) }, "the warden outlived its agent")
            #expect(try present(), "the disarmed warden removed the re-added address when its agent exited")
            #expect(!probe.stderr.contains("swift-cluster fence:"), "\(probe.stderr)")
        }
    }

    // MARK: The holder's wiring, in process (the warden forked from a thread inside the namespace)

    /// Namespaces `a`/`b`, a netlink socket in `a`, a warden forked there and a holder of `vips` on `v0`.
    /// Also returns a manager of the same VIPs and the number of them present in the kernel.
    func holderWithWarden(_ net: TestNetwork, _ cidrs: [String]) throws
        -> (VIPHolder, FenceWarden, VIPManager, @Sendable () throws -> Int)
    {
        let netlink = try net.inside("a") { try RouteNetlink.open() }
        let vips = try cidrs.map { try #require(VIPConfiguration(cidr: $0, interface: "v0")) }
        let warden = try net.inside("a") { try FenceWarden.start() }
        let holder = VIPHolder(
            vips: vips, netlink: netlink, announcer: nil, policy: AnnouncementPolicy(),
            kernelLease: KernelLease(applies: false), warden: warden, log: { _ in })
        let each = vips.map { VIPManager(vips: [$0], netlink: netlink, announcer: nil) }
        let present: @Sendable () throws -> Int = { try each.filter { try $0.isAcquired() }.count }
        return (holder, warden, VIPManager(vips: vips, netlink: netlink, announcer: nil), present)
    }

    @Test func renewalsReArmTheWardenAndItFiresAtTheLastDeadline() throws {
        let net = try TestNetwork(roles: ["a", "b"], links: [("a", "v0", "b", "v1")])
        defer { net.remove() }
        let (holder, warden, check, present) = try holderWithWarden(net, ["198.18.0.163/24", "2001:db8:18::163/64"])
        holder.leadershipGranted(epoch: 1, validUntil: .now + .milliseconds(300))
        #expect(try check.isAcquired())
        Thread.sleep(forTimeInterval: 0.2)
        let extended = ContinuousClock.now + .milliseconds(400)
        holder.leadershipExtended(epoch: 1, validUntil: extended)
        Thread.sleep(forTimeInterval: 0.25)  // past the grant's deadline: the renewal moved it
        #expect(try check.isAcquired(), "the warden fired at the grant's deadline despite the renewal")
        let gone = try eventually(timeout: .milliseconds(600), every: .milliseconds(5)) { try present() == 0 }
        #expect(gone, "the warden did not fire at the renewed deadline")
        #expect(ContinuousClock.now >= extended, "removed before the renewed deadline")
        #expect(!Self.isGone(warden.pid))
    }

    @Test func aRenewalLateForTheWardenPutsTheVIPsBack() throws {
        let net = try TestNetwork(roles: ["a", "b"], links: [("a", "v0", "b", "v1")])
        defer { net.remove() }
        let (holder, _, _, present) = try holderWithWarden(net, ["198.18.0.166/24", "2001:db8:18::166/64"])
        holder.leadershipGranted(epoch: 1, validUntil: .now + .milliseconds(100))
        #expect(try present() == 2)
        #expect(try eventually(timeout: .seconds(1), every: .milliseconds(5)) { try present() == 0 })
        // Past the deadline, a restore is not attempted...
        holder.addressChanged(try #require(IPAddress("198.18.0.166")), present: false)
        #expect(try present() == 0, "restored past the deadline")
        // ...but a renewal that still made it brings the VIPs back, and re-arms the warden.
        holder.leadershipExtended(epoch: 1, validUntil: .now + .milliseconds(300))
        #expect(try present() == 2, "the late renewal did not put the VIPs back")
        #expect(try eventually(timeout: .seconds(1), every: .milliseconds(5)) { try present() == 0 })
        holder.leadershipRevoked(reason: .selfFenced)
    }

    @Test func aRevokedHolderDisarmsTheWardenAndItsEOFRemovesNothing() throws {
        let net = try TestNetwork(roles: ["a", "b"], links: [("a", "v0", "b", "v1")])
        defer { net.remove() }
        var pid: pid_t = 0
        var count: (@Sendable () throws -> Int)?
        do {
            let (holder, warden, check, present) = try holderWithWarden(net, ["198.18.0.164/24", "2001:db8:18::164/64"])
            pid = warden.pid
            count = present
            holder.leadershipGranted(epoch: 1, validUntil: .now + .milliseconds(300))
            #expect(try check.isAcquired())
            holder.leadershipRevoked(reason: .steppedDown)
            #expect(try present() == 0, "the holder did not remove its VIPs")
            try check.acquire()  // by hand, after the disarm
            Thread.sleep(forTimeInterval: 0.4)  // past the grant's deadline
            #expect(try check.isAcquired(), "the disarmed warden fired at the grant's deadline")
        }  // the holder and the warden's socket go: EOF, as if the agent exited
        #expect(eventually(timeout: .seconds(2)) { Self.isGone(pid) }, "the warden outlived its agent")
        #expect(try count?() == 2, "the disarmed warden removed the addresses at EOF")
    }

    @Test func aHolderThatDiesWhileLeadingLeavesNoVIP() throws {
        let net = try TestNetwork(roles: ["a", "b"], links: [("a", "v0", "b", "v1")])
        defer { net.remove() }
        var pid: pid_t = 0
        var count: (@Sendable () throws -> Int)?
        do {
            let (holder, warden, check, present) = try holderWithWarden(net, ["198.18.0.165/24", "2001:db8:18::165/64"])
            pid = warden.pid
            count = present
            holder.leadershipGranted(epoch: 1, validUntil: .now + .milliseconds(500))
            #expect(try check.isAcquired())
        }  // the last reference goes: its socket closes as if the agent died
        let present = try #require(count)
        let died = ContinuousClock.now
        #expect(try present() == 2, "the warden removed the VIPs before the dead holder's deadline")
        let gone = try eventually(timeout: .milliseconds(1500), every: .milliseconds(2)) { try present() == 0 }
        #expect(gone, "the VIPs outlived their holder's deadline by 1 s")
        #expect(ContinuousClock.now - died >= .milliseconds(300), "removed before the deadline")
        #expect(eventually(timeout: .seconds(2)) { Self.isGone(pid) })
    }
}
