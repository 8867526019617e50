/// A point on the node's monotonic clock, in nanoseconds since an arbitrary origin.
///
/// The state machine never reads a clock: the driver passes `now` into every event, typically
/// `ContinuousClock.now` converted against a fixed origin (`origin.duration(to: now)`). Only differences
/// between instants of the same node are meaningful; instants of different nodes are never compared.
public struct ElectionInstant: Comparable, Hashable, Sendable, CustomStringConvertible {
    /// Nanoseconds since the driver's origin.
    public var nanoseconds: Int64

    /// Creates an instant.
    /// - Parameter nanoseconds: Nanoseconds since the driver's origin.
    public init(nanoseconds: Int64) {
        self.nanoseconds = nanoseconds
    }

    /// The origin itself.
    public static let zero = ElectionInstant(nanoseconds: 0)

    public static func < (lhs: ElectionInstant, rhs: ElectionInstant) -> Bool {
        lhs.nanoseconds < rhs.nanoseconds
    }

    /// The instant `rhs` after `lhs`.
    public static func + (lhs: ElectionInstant, rhs: Duration) -> ElectionInstant {
        ElectionInstant(nanoseconds: lhs.nanoseconds &+ rhs.nanosecondCount)
    }

    /// The instant `rhs` before `lhs`.
    public static func - (lhs: ElectionInstant, rhs: Duration) -> ElectionInstant {
        ElectionInstant(nanoseconds: lhs.nanoseconds &- rhs.nanosecondCount)
    }

    /// The duration from `rhs` to `lhs`.
    public static func - (lhs: ElectionInstant, rhs: ElectionInstant) -> Duration {
        .nanoseconds(lhs.nanoseconds &- rhs.nanoseconds)
    }

    public var description: String {
        let millis = Double(nanoseconds) / 1_000_000
        return "t=\(millis)ms"
    }
}

extension Duration {
    /// The duration in whole nanoseconds (saturating at `Int64` bounds).
    var nanosecondCount: Int64 {
        let (seconds, attoseconds) = components
        let (scaled, overflow) = seconds.multipliedReportingOverflow(by: 1_000_000_000)
        if overflow { return seconds < 0 ? .min : .max }
        return scaled &+ attoseconds / 1_000_000_000
    }
}
