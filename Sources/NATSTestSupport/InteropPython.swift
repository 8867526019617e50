import Foundation

/// The nats-py peer of the interoperability tests: the Python that has it, and a runner for the scripts in
/// `Tests/Interop`.
public enum InteropPython {
    /// The package's root directory (this file is `Sources/NATSTestSupport/InteropPython.swift`).
    public static let packageRoot: String = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
        .deletingLastPathComponent().deletingLastPathComponent().path

    /// `SC_PYTHON`, or the virtualenv `make py-deps` creates.
    /// - Throws: ``PythonMissing`` (so a test fails, never skips) when neither exists.
    public static func executable() throws -> String {
        let candidates = [ProcessInfo.processInfo.environment["SC_PYTHON"], "\(packageRoot)/.venv/bin/python"]
        for case let path? in candidates where !path.isEmpty && FileManager.default.isExecutableFile(atPath: path) {
            return path
        }
        throw PythonMissing(
            description: "No Python with nats-py: set SC_PYTHON or run `make py-deps` (creates \(packageRoot)/.venv)")
    }

    /// Runs `Tests/Interop/<script>` and returns its exit status and combined output, without blocking a
    /// concurrency thread (the clients and nodes under test need them).
    public static func run(_ script: String, _ arguments: [String]) async throws -> (status: Int32, output: String) {
        let python = try executable()
        let outputPath = FileManager.default.temporaryDirectory.appendingPathComponent("interop-\(UUID().uuidString).log")
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
}

/// Thrown (so the test fails, never skips) when the interop peer is not installed.
public struct PythonMissing: Error, CustomStringConvertible {
    public var description: String
}
