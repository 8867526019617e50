import Prometheus

/// The agent's metrics, all named `swift_cluster_…`, in a Prometheus registry that ``MetricsServer`` exposes.
///
/// | metric | type | meaning |
/// | --- | --- | --- |
/// | `swift_cluster_leader` | gauge | 1 while this node is the leader, else 0 |
/// | `swift_cluster_epoch` | gauge | the election epoch this node last saw |
/// | `swift_cluster_leader_changes_total` | counter | leader changes this node observed |
/// | `swift_cluster_lease_renewal_seconds` | histogram | lease renewal round trips, 0.1 ms to 1 s buckets |
/// | `swift_cluster_vips_held` | gauge | floating addresses configured on this host |
/// | `swift_cluster_health_check_healthy{check="name"}` | gauge | 1 while the check counts as healthy |
/// | `swift_cluster_nats_connected` | gauge | 1 while connected to NATS |
/// | `swift_cluster_eligible` | gauge | 1 while this node may contend |
public final class AgentMetrics: Sendable {
    /// Upper bounds of the renewal latency buckets: 0.1 ms to 1 s, roughly 1-2.5-5 per decade.
    public static let renewalBuckets: [Duration] = [
        .microseconds(100), .microseconds(250), .microseconds(500), .milliseconds(1), .milliseconds(2.5),
        .milliseconds(5), .milliseconds(10), .milliseconds(25), .milliseconds(50), .milliseconds(100),
        .milliseconds(250), .milliseconds(500), .seconds(1),
    ]

    /// The registry holding these metrics; hand it to ``MetricsServer/start(host:port:registry:)``.
    public let registry: PrometheusCollectorRegistry
    private let leader: Gauge
    private let epoch: Gauge
    private let leaderChanges: Counter
    private let renewalLatency: DurationHistogram
    private let vipsHeld: Gauge
    private let natsConnected: Gauge
    private let eligible: Gauge

    /// Registers the metric set (all gauges start at 0).
    /// - Parameter registry: where to register; a new one by default.
    public init(registry: PrometheusCollectorRegistry = PrometheusCollectorRegistry()) {
        self.registry = registry
        leader = registry.makeGauge(descriptor: Self.name("leader", help: "1 while this node is the leader"))
        epoch = registry.makeGauge(descriptor: Self.name("epoch", help: "The election epoch this node last saw"))
        leaderChanges = registry.makeCounter(
            descriptor: Self.name("leader_changes", unit: "total", help: "Leader changes this node observed")
        )
        renewalLatency = registry.makeDurationHistogram(
            descriptor: Self.name("lease_renewal", unit: "seconds", help: "Lease renewal round trip to the KV store"),
            buckets: Self.renewalBuckets
        )
        vipsHeld = registry.makeGauge(descriptor: Self.name("vips_held", help: "Floating addresses held by this host"))
        natsConnected = registry.makeGauge(descriptor: Self.name("nats_connected", help: "1 while connected to NATS"))
        eligible = registry.makeGauge(descriptor: Self.name("eligible", help: "1 while this node may contend"))
    }

    private static var healthCheckName: MetricNameDescriptor {
        name("health_check_healthy", help: "1 while the health check counts as healthy")
    }

    /// `swift_cluster_<name>[_<unit>]` with its help text.
    private static func name(_ name: String, unit: String = "", help: String) -> MetricNameDescriptor {
        MetricNameDescriptor(namespace: "swift_cluster", metricName: name, unitName: unit, helpText: help)
    }

    /// Sets `swift_cluster_leader`: 1 when `leader`, else 0.
    public func setRole(leader: Bool) { self.leader.set(leader ? 1.0 : 0.0) }

    /// Sets `swift_cluster_epoch`.
    public func setEpoch(_ epoch: UInt64) { self.epoch.set(Double(epoch)) }

    /// Adds one to `swift_cluster_leader_changes_total`.
    public func recordLeaderChange() { leaderChanges.increment() }

    /// Observes one renewal round trip in `swift_cluster_lease_renewal_seconds`.
    public func recordRenewalLatency(_ latency: Duration) { renewalLatency.record(latency) }

    /// Sets `swift_cluster_vips_held`.
    public func setVIPsHeld(_ count: Int) { vipsHeld.set(Int64(count)) }

    /// Sets `swift_cluster_health_check_healthy{check="name"}`: 1 when `healthy`, else 0.
    public func setHealthCheck(_ name: String, healthy: Bool) {
        registry.makeGauge(descriptor: Self.healthCheckName, labels: [("check", name)]).set(healthy ? 1.0 : 0.0)
    }

    /// Sets `swift_cluster_nats_connected`: 1 when `connected`, else 0.
    public func setNATSConnected(_ connected: Bool) { natsConnected.set(connected ? 1.0 : 0.0) }

    /// Sets `swift_cluster_eligible`: 1 when `eligible`, else 0.
    public func setEligible(_ eligible: Bool) { self.eligible.set(eligible ? 1.0 : 0.0) }
}
