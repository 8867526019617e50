#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif

/// The value of the lease key `leader`: go-cluster's JSON `{"node_id", "epoch", "acquired_at"}`.
public struct LeaseRecord: Sendable, Hashable, Codable, CustomStringConvertible {
    /// The node holding (or, during a transfer, being handed) the lease.
    public var nodeId: String
    /// The fencing epoch of this leadership. See ``ElectionTiming`` for why it only grows.
    public var epoch: UInt64
    /// Wall-clock time of acquisition as written by the driver (RFC 3339). `nil` in a record the state
    /// machine asks to write means "stamp it"; the machine never reads a clock. The driver stamps with the
    /// wall-clock time at which it first wrote that epoch (a one-entry cache `epoch → stamp`), so renewals
    /// keep the acquisition time.
    public var acquiredAt: String?

    /// Creates a record.
    /// - Parameters:
    ///   - nodeId: The holder.
    ///   - epoch: The fencing epoch.
    ///   - acquiredAt: RFC 3339 acquisition time, or `nil` to let the driver stamp it.
    public init(nodeId: String, epoch: UInt64, acquiredAt: String? = nil) {
        self.nodeId = nodeId
        self.epoch = epoch
        self.acquiredAt = acquiredAt
    }

    enum CodingKeys: String, CodingKey {
        case nodeId = "node_id"
        case epoch
        case acquiredAt = "acquired_at"
    }

    /// Parses a lease value. Anything that is not a JSON object with a non-empty string `node_id`, a positive
    /// integer `epoch` and a string `acquired_at` is `nil`: the caller treats it as a foreign lease. Never traps.
    /// - Parameter bytes: The KV value.
    public init?(bytes: [UInt8]) {
        guard let record = try? JSONDecoder().decode(LeaseRecord.self, from: Data(bytes)),
            !record.nodeId.isEmpty, record.epoch > 0, record.acquiredAt != nil
        else { return nil }
        self = record
    }

    /// The JSON bytes to store.
    /// - Parameter wallClock: The RFC 3339 time used when ``acquiredAt`` is `nil`.
    public func encoded(stampingWith wallClock: String) -> [UInt8] {
        var stamped = self
        stamped.acquiredAt = acquiredAt ?? wallClock
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        return (try? Array(encoder.encode(stamped))) ?? []
    }

    public var description: String { "\(nodeId)@\(epoch)" }
}

/// What the lease key holds, as far as one read or watch entry tells.
public enum LeaseValue: Sendable, Hashable {
    /// A lease in the seed's format.
    case record(LeaseRecord)
    /// A value that does not parse: a foreign lease, respected until it expires.
    case garbage

    /// Classifies raw bytes.
    /// - Parameter bytes: The KV value.
    public init(bytes: [UInt8]) {
        self = LeaseRecord(bytes: bytes).map(LeaseValue.record) ?? .garbage
    }

    /// Classifies the value of an entry at `revision`. A record whose epoch is above its own revision is
    /// forged: no honest write makes one (an acquisition's epoch IS its revision; a claim or transfer adds
    /// one to an epoch that is at most the revision it replaces; a renewal keeps the epoch at a higher
    /// revision). It is treated as garbage, so a forged epoch can never be reported or built upon, and the
    /// epochs nodes observe never go backwards once it expires.
    /// - Parameters:
    ///   - bytes: The KV value.
    ///   - revision: The entry's revision (stream sequence).
    public init(bytes: [UInt8], revision: UInt64) {
        if let record = LeaseRecord(bytes: bytes), record.epoch <= revision {
            self = .record(record)
        } else {
            self = .garbage
        }
    }

    /// The record, if the value parsed.
    public var record: LeaseRecord? {
        if case .record(let record) = self { return record }
        return nil
    }
}

/// One entry of the KV watch on the lease key (MaxAge expiry produces none on nats-server 2.9).
public struct LeaseWatchEntry: Sendable, Hashable {
    /// The KV operation of the entry.
    public enum Operation: Sendable, Hashable {
        /// A put (create, update) carrying the value's bytes.
        case put([UInt8])
        /// A `KV-Operation: DEL` marker.
        case delete
        /// A `KV-Operation: PURGE` marker.
        case purge
    }

    /// The entry's revision (its bucket stream sequence).
    public var revision: UInt64
    /// What happened.
    public var operation: Operation

    /// Creates an entry.
    /// - Parameters:
    ///   - revision: The stream sequence of the entry.
    ///   - operation: The operation.
    public init(revision: UInt64, operation: Operation) {
        self.revision = revision
        self.operation = operation
    }
}

/// The result of the ``ElectionAction/readLease`` action: the lease key's last message read from the stream
/// leader (STREAM.MSG.GET `last_by_subj`, not a possibly stale DIRECT.GET) and the bucket stream's last
/// sequence (STREAM.INFO `state.last_seq`, which survives expiry of every message).
public struct LeaseSnapshot: Sendable, Hashable {
    /// The lease subject's last message.
    public enum Entry: Sendable, Hashable {
        /// No message on the subject (never written, or expired by max age).
        case absent
        /// A DEL or PURGE marker at this revision: a create must be retried as an update on it.
        case tombstone(revision: UInt64)
        /// A value at this revision.
        case value(revision: UInt64, bytes: [UInt8])
    }

    /// The lease subject's last message.
    public var entry: Entry
    /// The bucket stream's last sequence.
    public var streamLastSequence: UInt64

    /// Creates a snapshot.
    /// - Parameters:
    ///   - entry: The subject's last message.
    ///   - streamLastSequence: The stream's last sequence.
    public init(entry: Entry, streamLastSequence: UInt64) {
        self.entry = entry
        self.streamLastSequence = streamLastSequence
    }
}
