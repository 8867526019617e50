import Cluster
import Foundation
import NATSTestSupport
import Testing

/// The package root (for `Tests/Interop` and `.venv`).
private let packageRoot = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
    .deletingLastPathComponent().path

/// The venv python the Makefile exports as `SC_PYTHON`, else `<package root>/.venv/bin/python`; a failure
/// (not a skip) naming the fix when neither exists.
private func pythonExecutable() throws -> String {
    let candidates = [ProcessInfo.processInfo.environment["SC_PYTHON"], "\(packageRoot)/.venv/bin/python"]
    for case let path? in candidates where !path.isEmpty && FileManager.default.isExecutableFile(atPath: path) {
        return path
    }
    throw NodeTestFailure("No Python with nats-py: set SC_PYTHON or run `make py-deps` (creates \(packageRoot)/.venv)")
}

/// Runs a script from `Tests/Interop` and returns its exit status and combined output, without blocking a
/// concurrency thread (the nodes under test need them).
private func runInteropScript(_ script: String, _ arguments: [String]) async throws -> (status: Int32, output: String) {
    let python = try pythonExecutable()
    let outputPath = FileManager.default.temporaryDirectory.appendingPathComponent("cluster-interop-\(UUID().uuidString).log")
    _ = FileManager.default.createFile(atPath: outputPath.path, contents: nil)
    defer { try? FileManager.default.removeItem(at: outputPath) }
    let handle = try FileHandle(forWritingTo: outputPath)
    let process = Process()
    process.executableURL = URL(fileURLWithPath: python)
    process.arguments = ["\(packageRoot)/Tests/Interop/\(script)"] + arguments
    process.standardOutput = handle
    process.standardError = handle
    let status: Int32 = try await withCheckedThrowingContinuation { continuation in
        process.terminationHandler = { continuation.resume(returning: $0.terminationStatus) }
        do { try process.run() } catch { continuation.resume(throwing: error) }
    }
    try handle.close()
    return (status, (try? String(contentsOf: outputPath, encoding: .utf8)) ?? "")
}

/// nats-py (the reference Python client) drives three in-process nodes through their micro service.
@Suite("Node service driven by nats-py", .enabled(if: NATSServer.isAvailable), .timeLimit(.minutes(2)), .serialized)
struct NodeInteropTests {
    @Test func natsPyReadsStatusAndPingAndStepsTheLeaderDown() async throws {
        let trio = try await NodeTrio.make()
        try await trio.run { trio in
            let (leader, epoch) = try await trio.waitForAgreedLeader()
            let (status, output) = try await runInteropScript(
                "cluster_control.py", [trio.server.url, trio.clusterId, "n1", "n2", "n3"])
            try #require(status == 0, "cluster_control.py exited \(status):\n\(output)")
            let last = output.split(separator: "\n").last.map(String.init) ?? ""
            let summary = try #require(
                try JSONSerialization.jsonObject(with: Data(last.utf8)) as? [String: Any], "unexpected output: \(output)")
            #expect(summary["leader"] as? String == "n\(leader + 1)")
            #expect((summary["epoch"] as? NSNumber)?.uint64Value == epoch)
            let newLeader = try #require(summary["new_leader"] as? String)
            let newEpoch = try #require((summary["new_epoch"] as? NSNumber)?.uint64Value)
            #expect(newLeader != "n\(leader + 1)" && newEpoch > epoch)
            // The Swift side agrees with what nats-py saw.
            let (now, nowEpoch) = try await trio.waitForAgreedLeader()
            #expect("n\(now + 1)" == newLeader && nowEpoch == newEpoch)
            #expect(trio.hooks[leader].all.contains(.lostLeadership))
            print("nats-py: \(last)")
        }
    }
}
