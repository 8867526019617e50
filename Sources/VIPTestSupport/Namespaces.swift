// Throwaway network namespaces for tests and the benchmark (per `shared/docs/testbed.md`): names start
// with `sc-` and carry a per-run suffix; veth pairs are created with both ends directly inside test
// namespaces; `remove()` deletes exactly what was created. Setup shells out to `ip`; the engine never does.
import Foundation
import VIP

/// Runs a program and returns its standard output.
/// - Throws: `CommandError` when it exits non-zero.
@discardableResult
public func run(_ program: String, _ arguments: [String]) throws -> String {
    let result = try runStatus(program, arguments)
    guard result.status == 0 else {
        throw CommandError(
            command: ([program] + arguments).joined(separator: " "),
            status: result.status,
            output: result.output
        )
    }
    return result.output
}

/// Runs a program; returns its exit status and standard output (standard error appended).
public func runStatus(_ program: String, _ arguments: [String]) throws -> (status: Int32, output: String) {
    let process = Process()
    process.executableURL = URL(fileURLWithPath: program)
    process.arguments = arguments
    let out = Pipe()
    let err = Pipe()
    process.standardOutput = out
    process.standardError = err
    try process.run()
    let data = out.fileHandleForReading.readDataToEndOfFile()
    let errData = err.fileHandleForReading.readDataToEndOfFile()
    process.waitUntilExit()
    return (process.terminationStatus, String(decoding: data + errData, as: UTF8.self))
}

/// A command that failed.
public struct CommandError: Error, CustomStringConvertible {
    public var command: String
    public var status: Int32
    public var output: String
    public var description: String { "`\(command)` exited \(status): \(output)" }
}

/// A set of namespaces joined by veth pairs, removed by `remove()`.
public final class TestNetwork: Sendable {
    /// The per-run suffix, e.g. `4f2a9c`.
    public let run: String
    /// Full namespace names by role, e.g. `["a": "sc-4f2a9c-a"]`.
    public let namespaces: [String: String]

    /// Creates namespaces `sc-<run>-<role>` for each role.
    /// - Parameters:
    ///   - roles: Short role names (`a`, `b`).
    ///   - links: veth pairs `(roleA, ifA, roleB, ifB)`, brought up on both ends.
    public init(roles: [String], links: [(String, String, String, String)] = []) throws {
        let suffix = String(UInt32.random(in: 0...UInt32.max), radix: 16)
        run = "\(getpid() % 10000)\(suffix.prefix(4))"
        var names: [String: String] = [:]
        for role in roles { names[role] = "sc-\(run)-\(role)" }
        namespaces = names
        var created: [String] = []
        do {
            for role in roles {
                try VIPTestSupport.run("/usr/sbin/ip", ["netns", "add", names[role]!])
                created.append(names[role]!)
                try VIPTestSupport.run("/usr/sbin/ip", ["-n", names[role]!, "link", "set", "lo", "up"])
            }
            for (ra, ia, rb, ib) in links {
                try VIPTestSupport.run(
                    "/usr/sbin/ip",
                    [
                        "link", "add", ia, "netns", names[ra]!, "type", "veth", "peer", "name", ib, "netns", names[rb]!,
                    ]
                )
                try VIPTestSupport.run("/usr/sbin/ip", ["-n", names[ra]!, "link", "set", ia, "up"])
                try VIPTestSupport.run("/usr/sbin/ip", ["-n", names[rb]!, "link", "set", ib, "up"])
            }
        } catch {
            for name in created { _ = try? VIPTestSupport.run("/usr/sbin/ip", ["netns", "del", name]) }
            throw error
        }
    }

    /// The namespace name of a role.
    public subscript(role: String) -> String { namespaces[role]! }

    /// `ip -n <ns of role> <arguments>`.
    @discardableResult
    public func ip(_ role: String, _ arguments: String...) throws -> String {
        try VIPTestSupport.run("/usr/sbin/ip", ["-n", self[role]] + arguments)
    }

    /// `ip netns exec <ns> <program> <arguments>`: exit status and output.
    public func exec(_ role: String, _ program: String, _ arguments: [String]) throws -> (status: Int32, output: String)
    {
        try runStatus("/usr/sbin/ip", ["netns", "exec", self[role], program] + arguments)
    }

    /// Runs `body` on a thread inside the namespace of `role` (sockets made there stay there).
    public func inside<T: Sendable>(_ role: String, _ body: @escaping @Sendable () throws -> T) throws -> T {
        try withNetworkNamespace(self[role], body)
    }

    /// Deletes exactly the namespaces this network created (their veth ends go with them).
    public func remove() {
        for name in namespaces.values.sorted() { _ = try? VIPTestSupport.run("/usr/sbin/ip", ["netns", "del", name]) }
    }
}

/// Polls `condition` until it holds or `timeout` passes; no fixed sleeps as synchronisation.
/// - Returns: Whether it held in time.
public func eventually(
    timeout: Duration = .seconds(5),
    every: Duration = .milliseconds(20),
    _ condition: () throws -> Bool
) rethrows -> Bool {
    let deadline = ContinuousClock.now + timeout
    while ContinuousClock.now < deadline {
        if try condition() { return true }
        Thread.sleep(forTimeInterval: Double(every.components.attoseconds) / 1e18 + Double(every.components.seconds))
    }
    return try condition()
}

/// Whether the process runs as root (the kernel tests need it; CI runs as root).
public var isRoot: Bool { getuid() == 0 }

/// The path of an executable built next to the running test bundle or benchmark (e.g. `vip-probe`).
public func siblingExecutable(_ name: String) -> String {
    let me = (try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/exe")) ?? CommandLine.arguments[0]
    return URL(fileURLWithPath: me).deletingLastPathComponent().appendingPathComponent(name).path
}

/// Async `eventually`: polls with `Task.sleep`, never blocking a cooperative thread.
public func eventuallyAsync(
    timeout: Duration = .seconds(10),
    every: Duration = .milliseconds(20),
    _ condition: () throws -> Bool
) async rethrows -> Bool {
    let deadline = ContinuousClock.now + timeout
    while ContinuousClock.now < deadline {
        if try condition() { return true }
        try? await Task.sleep(for: every)
    }
    return try condition()
}
