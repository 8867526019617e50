import Glibc
import Testing

@testable import SystemdNotify

@Suite("SystemdNotifier")
struct SystemdNotifierTests {
    @Test("sends exact bytes to a path and to an abstract socket", arguments: [false, true])
    func exactBytes(abstract: Bool) throws {
        let receiver = try Receiver(abstract: abstract)
        let notifier = try SystemdNotifier(socket: receiver.notifySocket)
        try notifier.send([("A", "1"), ("B", "two words")])
        #expect(receiver.receive() == Array("A=1\nB=two words\n".utf8))
        try notifier.ready(status: "leader of c1")
        #expect(receiver.receiveText() == "READY=1\nSTATUS=leader of c1\n")
        try notifier.ready()
        #expect(receiver.receiveText() == "READY=1\n")
        try notifier.status("follower")
        #expect(receiver.receiveText() == "STATUS=follower\n")
        try notifier.watchdog()
        #expect(receiver.receiveText() == "WATCHDOG=1\n")
        try notifier.stopping()
        #expect(receiver.receiveText() == "STOPPING=1\n")
        #expect(receiver.receive() == nil)
    }

    @Test("reloading carries MONOTONIC_USEC from CLOCK_MONOTONIC")
    func reloading() throws {
        let receiver = try Receiver(abstract: true)
        let notifier = try SystemdNotifier(socket: receiver.notifySocket)
        var now = timespec()
        clock_gettime(CLOCK_MONOTONIC, &now)
        let before = UInt64(now.tv_sec) * 1_000_000 + UInt64(now.tv_nsec) / 1_000
        try notifier.reloading()
        let lines = try #require(receiver.receiveText()).split(separator: "\n")
        #expect(lines.count == 2)
        #expect(lines.first == "RELOADING=1")
        let usec = try #require(lines.last.flatMap { $0.split(separator: "=").last }.flatMap { UInt64($0) })
        #expect(lines.last?.hasPrefix("MONOTONIC_USEC=") == true)
        #expect(usec >= before && usec < before + 60_000_000)
    }

    @Test("fromEnvironment: nil when unset or empty, path and abstract accepted, others refused")
    func fromEnvironment() throws {
        #expect(try SystemdNotifier.fromEnvironment([:]) == nil)
        #expect(try SystemdNotifier.fromEnvironment(["NOTIFY_SOCKET": ""]) == nil)
        #expect(
            try SystemdNotifier.fromEnvironment(["NOTIFY_SOCKET": "/run/systemd/notify"])?.socket
                == "/run/systemd/notify"
        )
        let abstract = try #require(try SystemdNotifier.fromEnvironment(["NOTIFY_SOCKET": "@sd"]))
        #expect(abstract.address.pathBytes == [0, UInt8(ascii: "s"), UInt8(ascii: "d")])
        for bad in ["relative/notify", "@", "vsock:2:1234", "/" + String(repeating: "x", count: 200)] {
            #expect(throws: SystemdNotifyError.self) { try SystemdNotifier.fromEnvironment(["NOTIFY_SOCKET": bad]) }
        }
        #expect(
            throws: SystemdNotifyError.badSocket(
                "relative/notify",
                "expected an absolute path or @name (vsock is not supported)"
            )
        ) {
            try SystemdNotifier(socket: "relative/notify")
        }
    }

    @Test("assignments with newlines, '=' in keys or empty keys are refused before sending")
    func badAssignments() throws {
        let receiver = try Receiver(abstract: true)
        let notifier = try SystemdNotifier(socket: receiver.notifySocket)
        #expect(throws: SystemdNotifyError.self) { try notifier.send([]) }
        #expect(throws: SystemdNotifyError.self) { try notifier.send([("", "1")]) }
        #expect(throws: SystemdNotifyError.self) { try notifier.send([("A=B", "1")]) }
        #expect(throws: SystemdNotifyError.self) { try notifier.status("two\nlines") }
        #expect(receiver.receive() == nil)
    }

    @Test("a socket nobody listens on is an error naming the socket and errno")
    func nobodyListening() throws {
        let notifier = try SystemdNotifier(socket: "/nonexistent-dir-\(getpid())/notify")
        do {
            try notifier.watchdog()
            Issue.record("expected the send to fail")
        } catch {
            #expect(error.description.contains("/nonexistent-dir-\(getpid())/notify"))
            #expect(error.description.contains("errno \(ENOENT)"))
        }
    }

    @Test("watchdog interval: half of WATCHDOG_USEC for this pid, nil when absent, garbage or another pid")
    func watchdogInterval() {
        let me = String(getpid())
        #expect(SystemdNotifier.watchdogInterval(environment: [:]) == nil)
        #expect(SystemdNotifier.watchdogInterval(environment: ["WATCHDOG_USEC": "4000000"]) == .seconds(2))
        #expect(
            SystemdNotifier.watchdogInterval(environment: ["WATCHDOG_USEC": "3", "WATCHDOG_PID": me])
                == .microseconds(1)
        )
        #expect(SystemdNotifier.watchdogInterval(environment: ["WATCHDOG_USEC": "30s"]) == nil)
        #expect(SystemdNotifier.watchdogInterval(environment: ["WATCHDOG_USEC": "-5"]) == nil)
        #expect(SystemdNotifier.watchdogInterval(environment: ["WATCHDOG_USEC": "0"]) == nil)
        #expect(
            SystemdNotifier.watchdogInterval(environment: ["WATCHDOG_USEC": "1000", "WATCHDOG_PID": "1"])
                == nil
        )
        #expect(
            SystemdNotifier.watchdogInterval(environment: ["WATCHDOG_USEC": "1000", "WATCHDOG_PID": "x"])
                == nil
        )
    }
}
