import Foundation

/// Runs `Benchmarks/nats_py_bench.py` against the same server and reads its JSON line.
func measurePython(url: String, arguments: BenchArguments, script: String) async throws -> BenchResult {
    let outputPath = FileManager.default.temporaryDirectory.appendingPathComponent("bench-py-\(UUID().uuidString)")
    let errorPath = outputPath.appendingPathExtension("err")
    _ = FileManager.default.createFile(atPath: outputPath.path, contents: nil)
    _ = FileManager.default.createFile(atPath: errorPath.path, contents: nil)
    defer {
        try? FileManager.default.removeItem(at: outputPath)
        try? FileManager.default.removeItem(at: errorPath)
    }
    let process = Process()
    process.executableURL = URL(fileURLWithPath: arguments.python)
    process.arguments = [
        script, "--server", url, "--requests", "\(arguments.requests)", "--publishes", "\(arguments.publishes)",
        "--kv-updates", "\(arguments.kvUpdates)", "--bucket", "bench_py",
    ]
    process.standardOutput = try FileHandle(forWritingTo: outputPath)
    process.standardError = try FileHandle(forWritingTo: errorPath)
    let status: Int32 = try await withCheckedThrowingContinuation { continuation in
        process.terminationHandler = { continuation.resume(returning: $0.terminationStatus) }
        do { try process.run() } catch { continuation.resume(throwing: error) }
    }
    let output = (try? String(contentsOf: outputPath, encoding: .utf8)) ?? ""
    let errors = (try? String(contentsOf: errorPath, encoding: .utf8)) ?? ""
    guard status == 0, let line = output.split(separator: "\n").last else {
        throw BenchArguments.UsageError(description: "nats-py benchmark failed (exit \(status)):\n\(output)\(errors)")
    }
    return try JSONDecoder().decode(BenchResult.self, from: Data(line.utf8))
}
