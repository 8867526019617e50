/// The timing argument behind the election, and the bounds it yields for a configuration.
///
/// ## Why at most one node acts as leader
///
/// Notation: `TTL` the bucket's max age, `m` the safety margin, `h` the heartbeat, `ρ` the bound on the
/// drift of any clock against real time (monotonic node clocks and the server's clock).
///
/// 1. The server removes the lease at (store time of its last write) + TTL, by its clock. A MaxAge expiry
///    produces no watch event on nats-server 2.9, it just empties the subject.
/// 2. A follower can only become leader through a write the server refuses while someone else's lease exists:
///    a create (`Nats-Expected-Last-Subject-Sequence: 0`, or the revision of a DEL/PURGE marker it read), or
///    a CAS update of a lease that names itself. So no follower holds the lease before the previous
///    holder's last write has expired or was replaced by a write that the previous holder made itself
///    (a transfer or a release, each sent after that holder had already demoted).
/// 3. The leader only knows when it sent a write (`t_send`, the `now` of the event that produced the action,
///    never later than the real send), not when it was stored (`t_store ≥ t_send`). So the lease lives at
///    least until `t_send + TTL` in real time (up to `ρ·TTL`). The leader acts as leader (holds the VIP)
///    only until `validUntil = t_send + TTL − m` on its own monotonic clock, where `m` covers the drift
///    (`m ≥ 2ρ·TTL`), scheduling delay, and the time to remove the VIP. The VIP is installed with a kernel
///    lifetime ending at `validUntil`, so a paused or killed process loses it on time too; a process that
///    wakes up after `validUntil` demotes before doing anything else.
/// 4. Hence the old leader's window `[.., t_send + TTL − m]` ends before the lease can expire at
///    `t_store + TTL ≥ t_send + TTL`, which is before any follower can acquire. A failed renewal CAS (someone
///    else wrote the key) demotes at once; a renewal with no verdict (timeout, 503) is retried every
///    `renewRetryInterval` until the deadline.
///
/// ## Why the epoch never goes back
///
/// Bucket revisions are stream sequences: global, strictly increasing, never reused, not even after every
/// message expired and every node restarted (the stream keeps `last_seq`). An acquisition carries epoch
/// `L + 1` and `Nats-Expected-Last-Sequence: L`, so it can only be stored as revision `L + 1`: the epoch is
/// the revision of the acquiring write. A claim (taking over a lease naming us) or a transfer writes
/// `epoch + 1` of the record it replaces, with a CAS on that record's revision. By induction every lease
/// record's epoch is at most its revision and above the epoch of every earlier record on the key, so each
/// new leadership's epoch is above all earlier ones, and any later acquisition (epoch = its revision, above
/// every earlier revision) is above it too.
///
/// ## Failover time
///
/// - Graceful stepdown and transfer: one CAS write plus a watch delivery plus one write, milliseconds.
/// - Crash of the leader: the followers' local timers fire at `seenAt + TTL` (seenAt = when they saw the
///   last renewal, which is after it was stored), then a create succeeds at once or after a few retries
///   of `acquireRetryInterval`: TTL plus milliseconds beyond the last renewal.
///
/// ## Which NATS faults a leader rides through
///
/// The worst case is an outage that starts just before a renewal: the last successful renewal was sent
/// `h` earlier, and a renewal must be sent after the outage and be acknowledged before `validUntil`. So the
/// leader keeps the VIP through any write outage shorter than ``rideThroughOutage(_:)``
/// `= TTL − m − h − renewRetryInterval` (minus one request round trip):
///
/// | TTL / heartbeat / margin | rides through | a crashed R3 stream leader (writes refused 4–9 s) |
/// |---|---|---|
/// | 10 s / 3 s / 1 s (default) | < 5.75 s | only the faster elections (measured 4.3, 5.5, 5.9, 7.2 s) |
/// | 10 s / 1 s / 1 s | < 7.75 s | most; not the 9 s Raft maximum |
/// | 15 s / 3 s / 1.5 s | < 10.25 s | all (Raft election timeout is 4–9 s) |
/// | 1 s / 250 ms / 200 ms | < 0.49 s | none; rides graceful stream-leader moves (~30 ms) and follower crashes |
///
/// Longer TTLs ride through more faults but a crashed leader costs the whole TTL: choose per deployment.
public enum ElectionTiming {
    /// The longest write outage (NATS down, stream leader election) a leader survives without demoting.
    /// - Parameter config: The configuration.
    /// - Returns: `TTL − safetyMargin − heartbeat − renewRetryInterval` (zero if negative).
    public static func rideThroughOutage(_ config: ElectionConfig) -> Duration {
        let value = config.leaseTTL - config.safetyMargin - config.heartbeatInterval - config.renewRetryInterval
        return max(value, .zero)
    }

    /// The longest time between a crash of the leader and a follower's first acquisition attempt, after the
    /// TTL, if messages arrive at once and clocks do not drift: the expiry timer fires at `seenAt + TTL`.
    /// - Parameter config: The configuration.
    /// - Returns: The retry interval bound followers use once the timer has fired.
    public static func crashFailoverBeyondTTL(_ config: ElectionConfig) -> Duration {
        config.acquireRetryInterval
    }
}
