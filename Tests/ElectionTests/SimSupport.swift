@testable import Election

/// SplitMix64: tiny, fast, and the same sequence on every platform, so a seed replays exactly.
struct SimRNG: RandomNumberGenerator {
    var state: UInt64

    init(seed: UInt64) { state = seed }

    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }

    mutating func chance(_ probability: Double) -> Bool {
        probability > 0 && Double(next() >> 11) / Double(1 << 53) < probability
    }

    mutating func between(_ low: Int64, _ high: Int64) -> Int64 {
        high <= low ? low : low + Int64(next() % UInt64(high - low + 1))
    }

    mutating func unit() -> Double { Double(next() >> 11) / Double(1 << 53) }
}

/// A binary min-heap of timed elements; ties keep insertion order, so runs are deterministic. The heap
/// moves small keys only; elements stay in a slot array.
struct EventQueue<Element> {
    private struct Key {
        var time: Int64
        var order: UInt64
        var slot: Int
    }

    private var heap: [Key] = []
    private var slots: [Element?] = []
    private var freeSlots: [Int] = []
    private var counter: UInt64 = 0

    var isEmpty: Bool { heap.isEmpty }

    mutating func push(_ time: Int64, _ element: Element) {
        counter += 1
        let slot: Int
        if let free = freeSlots.popLast() {
            slot = free
            slots[slot] = element
        } else {
            slot = slots.count
            slots.append(element)
        }
        heap.append(Key(time: time, order: counter, slot: slot))
        var child = heap.count - 1
        while child > 0 {
            let parent = (child - 1) / 2
            guard Self.less(heap[child], heap[parent]) else { break }
            heap.swapAt(child, parent)
            child = parent
        }
    }

    mutating func pop() -> (time: Int64, element: Element)? {
        guard !heap.isEmpty else { return nil }
        heap.swapAt(0, heap.count - 1)
        let top = heap.removeLast()
        var parent = 0
        while true {
            let left = 2 * parent + 1
            let right = left + 1
            var smallest = parent
            if left < heap.count, Self.less(heap[left], heap[smallest]) { smallest = left }
            if right < heap.count, Self.less(heap[right], heap[smallest]) { smallest = right }
            if smallest == parent { break }
            heap.swapAt(parent, smallest)
            parent = smallest
        }
        let element = slots[top.slot].take()!
        freeSlots.append(top.slot)
        return (top.time, element)
    }

    private static func less(_ a: Key, _ b: Key) -> Bool {
        a.time < b.time || (a.time == b.time && a.order < b.order)
    }
}

/// A fake KV bucket with the semantics of a JetStream stream with MaxAge = TTL and history 1:
/// revisions are one global sequence; create = expected last subject sequence 0 (fails over a DEL marker);
/// `Nats-Expected-Last-Sequence` checks the whole stream; MaxAge empties a subject silently (no event),
/// a little late as the real server does; the stream's last sequence survives expiry.
struct SimKV {
    enum Operation: Equatable {
        case put([UInt8])
        case delete
    }

    struct Message {
        var sequence: UInt64
        var operation: Operation
        var expiresAt: Int64
        var writtenAt: Int64
        /// The parsed lease, for the checker (parsed once per write).
        var record: LeaseRecord?
    }

    let ttl: Int64
    var lastSequence: UInt64 = 0
    var subjects: [String: Message] = [:]
    /// When the lease subject last became empty.
    var leaseEmptiedAt: Int64 = 0
    /// When the lease subject was last written.
    var leaseWrittenAt: Int64 = 0

    init(ttl: Int64) { self.ttl = ttl }

    mutating func expire(now: Int64) {
        for (subject, message) in subjects where message.expiresAt <= now {
            if subject == "leader" { leaseEmptiedAt = message.operation == .delete ? message.writtenAt : message.expiresAt }
            subjects[subject] = nil
        }
    }

    /// Applies a publish; `nil` means an expectation failed (10071).
    mutating func write(
        _ subject: String, _ operation: Operation, expectedSubject: UInt64?, expectedStream: UInt64?,
        now: Int64, expiryLag: Int64
    ) -> UInt64? {
        expire(now: now)
        if let expectedStream, expectedStream != lastSequence { return nil }
        if let expectedSubject, expectedSubject != (subjects[subject]?.sequence ?? 0) { return nil }
        lastSequence += 1
        var record: LeaseRecord?
        if subject == "leader" { leaseWrittenAt = now }
        if subject == "leader", case .put(let bytes) = operation {
            record = LeaseValue(bytes: bytes, revision: lastSequence).record
        }
        subjects[subject] = Message(
            sequence: lastSequence, operation: operation, expiresAt: now + ttl + expiryLag, writtenAt: now,
            record: record)
        return lastSequence
    }

    /// The lease the server holds right now, if it parses.
    func currentLease(now: Int64) -> LeaseRecord? {
        guard let message = subjects["leader"], message.expiresAt > now else { return nil }
        return message.record
    }

    /// Since when nobody's lease is on the server (deleted or expired), or `nil` if one is (garbage counts).
    func freeSince(now: Int64) -> Int64? {
        guard let message = subjects["leader"] else { return leaseEmptiedAt }
        if message.operation == .delete { return message.writtenAt }
        return message.expiresAt <= now ? message.expiresAt : nil
    }

    /// Whether the lease key holds an unparseable value right now.
    func holdsGarbage(now: Int64) -> Bool {
        guard let message = subjects["leader"], message.expiresAt > now, case .put = message.operation else {
            return false
        }
        return message.record == nil
    }

    mutating func snapshot(now: Int64) -> LeaseSnapshot {
        expire(now: now)
        let entry: LeaseSnapshot.Entry
        switch subjects["leader"] {
        case nil: entry = .absent
        case let message? where message.operation == .delete: entry = .tombstone(revision: message.sequence)
        case let message?:
            guard case .put(let bytes) = message.operation else { fatalError("unreachable") }
            entry = .value(revision: message.sequence, bytes: bytes)
        }
        return LeaseSnapshot(entry: entry, streamLastSequence: lastSequence)
    }
}
