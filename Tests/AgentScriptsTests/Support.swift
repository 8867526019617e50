import Glibc
import Synchronization

@testable import AgentScripts

/// A fresh directory under /tmp, removed (with its files) on deinit.
final class TemporaryDirectory {
    let path: String

    init() {
        var template = Array("/tmp/agent-scripts-XXXXXX".utf8CString)
        precondition(mkdtemp(&template) != nil, "mkdtemp failed: errno \(errno)")
        path = template.withUnsafeBufferPointer { String(cString: $0.baseAddress!) }
    }

    func file(_ name: String) -> String { path + "/" + name }

    func read(_ name: String) -> String? {
        guard let handle = fopen(file(name), "r") else { return nil }
        defer { fclose(handle) }
        var bytes: [UInt8] = []
        var buffer = [UInt8](repeating: 0, count: 4096)
        while true {
            let n = fread(&buffer, 1, buffer.count, handle)
            if n <= 0 { break }
            bytes += buffer.prefix(n)
        }
        return String(decoding: bytes, as: UTF8.self)
    }

    func write(_ name: String, _ text: String) {
        let handle = fopen(file(name), "w")!
        fputs(text, handle)
        fclose(handle)
    }

    func remove(_ name: String) { unlink(file(name)) }

    deinit {
        if let dir = opendir(path) {
            while let entry = readdir(dir) {
                let name = withUnsafeBytes(of: entry.pointee.d_name) {
                    String(decoding: $0.prefix { $0 != 0 }, as: UTF8.self)
                }
                if name != "." && name != ".." { unlink(file(name)) }
            }
            closedir(dir)
        }
        rmdir(path)
    }
}

/// `/bin/sh -c script`.
func shell(_ script: String) -> ScriptCommand {
    ScriptCommand(executable: "/bin/sh", arguments: ["-c", script])
}

/// Whether `pid` is a live process (a zombie awaiting its reaper counts as dead).
func isAlive(_ pid: Int32) -> Bool {
    guard kill(pid, 0) == 0 else { return false }
    guard let handle = fopen("/proc/\(pid)/stat", "r") else { return false }
    defer { fclose(handle) }
    var buffer = [CChar](repeating: 0, count: 512)
    guard fgets(&buffer, Int32(buffer.count), handle) != nil else { return false }
    let line = buffer.withUnsafeBufferPointer { String(cString: $0.baseAddress!) }
    guard let close = line.lastIndex(of: ")") else { return true }
    let state = line[line.index(after: close)...].dropFirst().first
    return state != "Z" && state != "X"
}

/// Polls `condition` every 20 ms until it holds or `timeout` passes; whether it held.
func eventually(within timeout: Duration = .seconds(10), _ condition: () async -> Bool) async -> Bool {
    let deadline = ContinuousClock.now + timeout
    while ContinuousClock.now < deadline {
        if await condition() { return true }
        try? await Task.sleep(for: .milliseconds(20))
    }
    return await condition()
}

/// A thread-safe list the log sinks and callbacks append to.
final class Recorder<Element: Sendable>: Sendable {
    private let items = Mutex<[Element]>([])
    func append(_ item: Element) { items.withLock { $0.append(item) } }
    var values: [Element] { items.withLock { $0 } }
}
