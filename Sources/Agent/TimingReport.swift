import Cluster
import Election
import Foundation

/// What a configuration's timers imply, for `check-config` (and the man page's timing guidance).
public struct TimingReport: Sendable {
    public let config: AgentConfig
    let election: ElectionConfig
    let kernelLease: KernelLease

    public init(config: AgentConfig) {
        self.config = config
        self.election = config.cluster.electionConfig
        self.kernelLease = KernelLease(election: election)
    }

    /// Worst case from a leader host's crash to a follower holding the lease: the lease lives up to a TTL
    /// after the crash (a renewal just before it), then the follower's expiry timer fires and it retries
    /// every `acquireRetryInterval` (the server's expiry is not evented), plus a network round trip.
    public var worstCrashFailover: Duration { election.leaseTTL + election.acquireRetryInterval + .milliseconds(20) }
    /// Best case: the crash just before a renewal was due.
    public var bestCrashFailover: Duration { election.leaseTTL - election.heartbeatInterval }
    /// A leader cut off from NATS drops its VIPs at most this long after its last successful renewal.
    public var selfFenceAfter: Duration { election.leaseTTL - election.safetyMargin }
    /// NATS write outages (a stream-leader election, a server restart) a leader rides through with its VIP
    /// answering. The lease lasts until the self-fencing deadline; with the kernel lease the VIP's lifetime
    /// ends up to 3 s earlier (2 s for the kernel's late expiry, 1 s for whole seconds), so that is the bound.
    public var ridesThrough: Duration {
        let vipLasts = kernelLease.applies ? selfFenceAfter - KernelLease.kernelSlack - .seconds(1) : selfFenceAfter
        return max(.zero, vipLasts - election.heartbeatInterval - election.renewRetryInterval)
    }
    /// The kernel lifetime set at each renewal when the kernel lease applies.
    public var kernelLifetime: Int64? {
        // What `KernelLease.lifetime` gives right after a renewal: the whole seconds strictly below.
        kernelLease.applies ? (selfFenceAfter - KernelLease.kernelSlack - .milliseconds(1)).components.seconds : nil
    }

    /// The human report.
    public var text: String {
        var lines = [
            "election: lease TTL \(ms(election.leaseTTL)), heartbeat \(ms(election.heartbeatInterval)), safety margin \(ms(election.safetyMargin))",
            "crash failover (leader host dies): \(ms(bestCrashFailover)) to \(ms(worstCrashFailover)) worst case",
            "graceful handover (demote, promote, SIGTERM): milliseconds (a CAS delete or transfer, then one write)",
            "self-fencing: a leader cut off from NATS drops its VIPs at most \(ms(selfFenceAfter)) after its last renewal",
            "NATS write outages ridden through with the VIP answering: up to \(ms(ridesThrough))",
        ]
        if let kernelLifetime {
            lines.append("kernel lease: on (VIPs carry valid_lft \(kernelLifetime)s, renewed every heartbeat; if the agent dies the kernel drops them before any other node can lead)")
        } else {
            lines.append("kernel lease: off (needs leaseTtl - safetyMargin >= heartbeat + 4s); the fence warden removes a killed or hung agent's VIPs at its self-fencing deadline")
        }
        if config.vips.isEmpty {
            lines.append("VIPs: none (election only)")
        } else {
            lines.append("VIPs: " + config.vips.map { "\($0.cidr) on \($0.interface)" }.joined(separator: ", "))
        }
        return lines.joined(separator: "\n")
    }

    /// The same as JSON (milliseconds).
    public var json: String {
        let object: [String: Any] = [
            "ok": true, "leaseTtlMs": msValue(election.leaseTTL), "heartbeatIntervalMs": msValue(election.heartbeatInterval),
            "safetyMarginMs": msValue(election.safetyMargin), "crashFailoverBestMs": msValue(bestCrashFailover),
            "crashFailoverWorstMs": msValue(worstCrashFailover), "selfFenceAfterMs": msValue(selfFenceAfter),
            "ridesThroughMs": msValue(ridesThrough), "kernelLease": kernelLease.applies,
            "kernelLifetimeS": kernelLifetime.map { $0 as Any } ?? NSNull(),
            "vips": config.vips.map { ["address": $0.address, "netmask": $0.netmask, "interface": $0.interface] },
        ]
        let data = (try? JSONSerialization.data(withJSONObject: object, options: [.sortedKeys])) ?? Data()
        return String(decoding: data, as: UTF8.self)
    }

    func msValue(_ duration: Duration) -> Int64 {
        duration.components.seconds * 1000 + duration.components.attoseconds / 1_000_000_000_000_000
    }

    func ms(_ duration: Duration) -> String {
        let value = msValue(duration)
        return value % 1000 == 0 ? "\(value / 1000)s" : String(format: "%.3gs", Double(value) / 1000)
    }
}

extension AgentConfig {
    /// The seed's keys in the seed's layout (what `init` writes).
    public var seedJSON: String {
        func quoted(_ text: String) -> String {
            let data = (try? JSONSerialization.data(withJSONObject: [text], options: [.withoutEscapingSlashes])) ?? Data()
            return String(String(decoding: data, as: UTF8.self).dropFirst().dropLast())
        }
        let vip = cluster.vip ?? VIPConfig(address: "", netmask: 24, interface: "")
        let ms = { (d: Duration) in d.components.seconds * 1000 + d.components.attoseconds / 1_000_000_000_000_000 }
        return """
            {
              "clusterId": \(quoted(cluster.clusterId)),
              "nodeId": \(quoted(cluster.nodeId)),
              "nats": {
                "servers": [\(cluster.natsURLs.map(quoted).joined(separator: ", "))],
                "credentials": \(quoted(cluster.natsCredentials ?? "")),
                "reconnectWaitMs": \(ms(cluster.reconnectWait)),
                "maxReconnects": \(cluster.maxReconnects)
              },
              "vip": {
                "address": \(quoted(vip.address)),
                "netmask": \(vip.netmask),
                "interface": \(quoted(vip.interface))
              },
              "election": {
                "leaseTtlMs": \(ms(cluster.leaseTTL)),
                "heartbeatIntervalMs": \(ms(cluster.heartbeatInterval))
              },
              "service": {
                "version": \(quoted(cluster.serviceVersion))
              }
            }

            """
    }
}
