/// The health of a check as the election sees it.
public enum HealthStatus: String, Sendable, Hashable {
    /// No verdict yet: counts as healthy until `fall` consecutive failures (so a node can contend at start).
    case unknown
    /// `rise` consecutive successes since the last unhealthy verdict (or since start).
    case healthy
    /// `fall` consecutive failures.
    case unhealthy

    /// Whether the node may contend: `unknown` and `healthy` count as healthy.
    public var countsAsHealthy: Bool { self != .unhealthy }
}

/// The fall/rise counting of a health check, keepalived style. Pure.
struct HealthTracker: Sendable, Equatable {
    let fall: Int
    let rise: Int
    private(set) var status: HealthStatus = .unknown
    private(set) var consecutiveSuccesses = 0
    private(set) var consecutiveFailures = 0

    init(fall: Int, rise: Int) {
        self.fall = fall
        self.rise = rise
    }

    /// Records one run; returns the new effective health when it flipped (``HealthStatus/countsAsHealthy``).
    mutating func record(success: Bool) -> Bool? {
        let before = status.countsAsHealthy
        if success {
            consecutiveSuccesses += 1
            consecutiveFailures = 0
            if status != .healthy, consecutiveSuccesses >= rise { status = .healthy }
        } else {
            consecutiveFailures += 1
            consecutiveSuccesses = 0
            if status != .unhealthy, consecutiveFailures >= fall { status = .unhealthy }
        }
        return status.countsAsHealthy == before ? nil : status.countsAsHealthy
    }
}
