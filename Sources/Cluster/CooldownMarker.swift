import Foundation

/// The value of `cooldown.<nodeId>`: which node stepped down and until when it stays out.
///
/// Written (fire and forget) by a graceful stepdown, read back when the node starts, so a node restarted
/// right after stepping down (say by its service manager) does not grab the lease back. The key lives in
/// the lease bucket, whose max age is the lease TTL: a marker outlives a default cooldown (= TTL) but no
/// longer, so stale markers clean themselves up. The times are wall-clock (RFC 3339, UTC): the marker is
/// read by another process, possibly on another day.
public struct CooldownMarker: Codable, Sendable, Hashable {
    /// The node that stepped down.
    public var nodeId: String
    /// When its cooldown ends.
    public var until: Date

    /// Creates a marker.
    public init(nodeId: String, until: Date) {
        self.nodeId = nodeId
        self.until = until
    }

    enum CodingKeys: String, CodingKey {
        case nodeId = "node_id"
        case until
    }

    /// The marker's JSON, e.g. `{"node_id":"n1","until":"2026-11-28T01:02:03.456Z"}` (node ids are KV key
    /// tokens, which never need escaping).
    public var json: String {
        "{\"node_id\":\"\(nodeId)\",\"until\":\"\(rfc3339(until))\"}"
    }

    /// Parses a marker; `nil` for anything else (garbage in the bucket is ignored, never trusted).
    public init?(bytes: some Collection<UInt8>) {
        guard let object = try? JSONSerialization.jsonObject(with: Data(bytes)) as? [String: Any],
            let nodeId = object["node_id"] as? String, let text = object["until"] as? String,
            let until = parseRFC3339(text)
        else { return nil }
        self.init(nodeId: nodeId, until: until)
    }

    /// How much of the cooldown is left at `now` (zero if it is over).
    public func remaining(at now: Date = Date()) -> Duration {
        let seconds = until.timeIntervalSince(now)
        return seconds > 0 ? .nanoseconds(Int64(seconds * 1e9)) : .zero
    }
}

/// Parses RFC 3339 with or without fractional seconds.
func parseRFC3339(_ text: String) -> Date? {
    let fractional = ISO8601DateFormatter()
    fractional.formatOptions = [.withInternetDateTime, .withFractionalSeconds]
    if let date = fractional.date(from: text) { return date }
    return ISO8601DateFormatter().date(from: text)
}
