import Cluster
import Foundation

/// Human and JSON output of statuses.
enum Render {
    /// The status JSON with `clusterId` and `vipHeld` added, keys sorted.
    static func json(_ status: NodeStatus, clusterId: String) -> String {
        var object = (try? JSONSerialization.jsonObject(with: JSONEncoder().encode(status)) as? [String: Any]) ?? [:]
        object["clusterId"] = clusterId
        object["vipHeld"] = !(status.vips ?? []).isEmpty
        let data = (try? JSONSerialization.data(withJSONObject: object, options: [.sortedKeys, .withoutEscapingSlashes])) ?? Data()
        return String(decoding: data, as: UTF8.self)
    }

    /// go-cluster's status block, aligned, with the agent's extra lines.
    static func human(_ status: NodeStatus, clusterId: String) -> String {
        var lines: [(String, String)] = [
            ("Cluster", clusterId), ("Node", status.nodeId), ("Role", status.role), ("Connected", "\(status.connected)"),
            ("Leader", status.leader.isEmpty ? "(none)" : status.leader), ("Epoch", "\(status.epoch)"),
            ("VIP Held", (status.vips ?? []).isEmpty ? "false" : "true (\(status.vips!.joined(separator: ", ")))"),
        ]
        if let state = status.state { lines.append(("State", state)) }
        if let eligible = status.eligible {
            let why = status.notEligibleBecause.map { $0.isEmpty ? "" : " (\($0.joined(separator: "; ")))" } ?? ""
            lines.append(("Eligible", eligible ? "true" : "false\(why)"))
        }
        if status.cooldown == true { lines.append(("Cooldown", "true")) }
        for (name, state) in (status.health ?? [:]).sorted(by: { $0.key < $1.key }) { lines.append(("Health \(name)", state)) }
        lines.append(("Uptime", duration(ms: status.uptimeMs)))
        let width = lines.map(\.0.count).max()! + 1
        return lines.map { $0.0 + ":" + String(repeating: " ", count: width - $0.0.count) + " " + $0.1 }.joined(separator: "\n")
    }

    /// One row per node, aligned columns.
    static func table(_ statuses: [NodeStatus]) -> String {
        let header = ["NODE", "ROLE", "STATE", "EPOCH", "VIPS", "UPTIME", "CONNECTED", "ELIGIBLE"]
        let rows = statuses.map { status in
            [
                status.nodeId, status.role, status.state ?? "-", "\(status.epoch)",
                (status.vips ?? []).isEmpty ? "-" : status.vips!.joined(separator: ","), duration(ms: status.uptimeMs),
                "\(status.connected)", status.eligible.map { "\($0)" } ?? "-",
            ]
        }
        let all = [header] + rows
        let widths = header.indices.map { column in all.map { $0[column].count }.max()! }
        return all.map { row in
            row.enumerated().map { $1.padding(toLength: widths[$0], withPad: " ", startingAt: 0) }.joined(separator: "  ")
                .trimmingCharacters(in: .whitespaces)
        }.joined(separator: "\n")
    }

    /// `1h02m03s`, `4m05s`, `6.7s`.
    static func duration(ms: Int64) -> String {
        let seconds = ms / 1000
        if seconds >= 3600 { return String(format: "%dh%02dm%02ds", seconds / 3600, seconds / 60 % 60, seconds % 60) }
        if seconds >= 60 { return String(format: "%dm%02ds", seconds / 60, seconds % 60) }
        return String(format: "%.1fs", Double(ms) / 1000)
    }
}
