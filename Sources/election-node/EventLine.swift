import Cluster
import Foundation
import Synchronization

#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// `CLOCK_MONOTONIC` in nanoseconds: comparable between processes on one machine.
func monotonicNanoseconds() -> UInt64 {
    var now = timespec()
    clock_gettime(CLOCK_MONOTONIC, &now)
    return UInt64(now.tv_sec) * 1_000_000_000 + UInt64(now.tv_nsec)
}

/// Writes one JSON object per line on stdout, unbuffered (one `write(2)` per line), so a parent reading the
/// pipe sees each event as it happens.
enum EventLine {
    private static let lock = NSLock()

    /// Emits `{"event": event, "node": node, <fields>, "mono_ns": now}`.
    /// - Parameters:
    ///   - event: The event name (`started`, `becameLeader`, ...).
    ///   - node: This node's id.
    ///   - fields: Extra members (strings, integers, booleans or `NSNull`).
    static func emit(_ event: String, node: String, _ fields: [String: any Sendable] = [:]) {
        var object: [String: Any] = fields
        object["event"] = event
        object["node"] = node
        object["mono_ns"] = monotonicNanoseconds()
        guard var data = try? JSONSerialization.data(withJSONObject: object, options: [.sortedKeys]) else { return }
        data.append(UInt8(ascii: "\n"))
        lock.withLock { writeAll(1, data) }
    }

    /// Writes a diagnostic line on stderr.
    static func diagnose(_ text: String) {
        lock.withLock { writeAll(2, Data("election-node: \(text)\n".utf8)) }
    }

    private static func writeAll(_ fd: Int32, _ data: Data) {
        data.withUnsafeBytes { buffer in
            var offset = 0
            while offset < buffer.count {
                let written = write(fd, buffer.baseAddress! + offset, buffer.count - offset)
                if written < 0 {
                    if errno == EINTR { continue }
                    return
                }
                offset += written
            }
        }
    }
}

/// Hooks that print every leadership and connection change as an ``EventLine``.
final class PrintingHooks: ClusterHooks, Sendable {
    let nodeId: String
    private let lost = Mutex(0)

    init(nodeId: String) { self.nodeId = nodeId }

    /// How many `lostLeadership` lines were printed.
    var lostCount: Int { lost.withLock { $0 } }

    func onBecomeLeader(epoch: UInt64) async throws {
        EventLine.emit("becameLeader", node: nodeId, ["epoch": epoch])
    }

    func onLoseLeadership() async throws {
        EventLine.emit("lostLeadership", node: nodeId)
        lost.withLock { $0 += 1 }
    }

    func onLeaderChange(nodeId leader: String?, epoch: UInt64?) async throws {
        EventLine.emit("leaderChanged", node: nodeId, ["leader": leader ?? NSNull(), "epoch": epoch ?? NSNull()])
    }

    func onNATSReconnect() async throws {
        EventLine.emit("reconnected", node: nodeId)
    }

    func onNATSDisconnect(error: (any Error)?) async throws {
        EventLine.emit("disconnected", node: nodeId, ["error": error.map { "\($0)" } ?? NSNull()])
    }
}
