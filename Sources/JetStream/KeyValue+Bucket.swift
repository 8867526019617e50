import Foundation
import NATSClient

extension JetStreamContext {
    /// Creates the bucket, or binds to it if it exists with the same configuration. If it exists
    /// with another configuration, the stream is updated to this one (the server refuses changes
    /// it cannot make, such as storage type). Returns once the stream answers `STREAM.INFO`.
    /// - Throws: ``KeyValueError`` `.invalidBucket` / `.invalidConfig`; ``JetStreamError``.
    public func createKeyValue(_ config: KeyValueConfig) async throws -> KeyValue {
        try config.validate()
        let stream = config.streamConfig
        _ = try await withRetries { _ in
            do {
                return try await createStream(stream)
            } catch let error as JetStreamError where error.errCode == 10058 {
                return try await updateStream(stream)
            }
        }
        let info = try await withRetries { _ in try await streamInfo(stream.name) }
        return KeyValue(bucket: config.bucket, js: self, allowsDirect: info.config.allowDirect == true)
    }

    /// Binds to an existing bucket (also one made by another client; see ``KeyValue/allowsDirect``).
    /// - Throws: ``KeyValueError`` `.bucketNotFound` when there is no such bucket.
    public func keyValue(_ bucket: String) async throws -> KeyValue {
        try KeyValue.checkBucketName(bucket)
        let info: StreamInfo
        do {
            info = try await streamInfo("KV_\(bucket)")
        } catch let error as JetStreamError where error.errCode == 10059 {
            throw KeyValueError(.bucketNotFound, bucket: bucket, "\(error)")
        }
        return KeyValue(bucket: bucket, js: self, allowsDirect: info.config.allowDirect == true)
    }

    /// Deletes a bucket and all its keys.
    public func deleteKeyValue(_ bucket: String) async throws {
        try KeyValue.checkBucketName(bucket)
        do {
            try await deleteStream("KV_\(bucket)")
        } catch let error as JetStreamError where error.errCode == 10059 {
            throw KeyValueError(.bucketNotFound, bucket: bucket, "\(error)")
        }
    }
}

extension KeyValue {
    /// Stores bytes (see the `ByteBuffer` variant).
    public func put(_ key: String, _ value: some Collection<UInt8>) async throws -> UInt64 {
        try await put(key, ByteBuffer(bytes: value))
    }

    /// Stores UTF-8 text (see the `ByteBuffer` variant).
    public func put(_ key: String, _ value: String) async throws -> UInt64 {
        try await put(key, ByteBuffer(string: value))
    }

    /// Creates with bytes (see the `ByteBuffer` variant).
    public func create(_ key: String, _ value: some Collection<UInt8>) async throws -> UInt64 {
        try await create(key, ByteBuffer(bytes: value))
    }

    /// Creates with UTF-8 text (see the `ByteBuffer` variant).
    public func create(_ key: String, _ value: String) async throws -> UInt64 {
        try await create(key, ByteBuffer(string: value))
    }

    /// Compare-and-set with bytes (see the `ByteBuffer` variant).
    public func update(_ key: String, _ value: some Collection<UInt8>, revision: UInt64) async throws -> UInt64 {
        try await update(key, ByteBuffer(bytes: value), revision: revision)
    }

    /// Compare-and-set with UTF-8 text (see the `ByteBuffer` variant).
    public func update(_ key: String, _ value: String, revision: UInt64) async throws -> UInt64 {
        try await update(key, ByteBuffer(string: value), revision: revision)
    }

    /// The keys that have a live value (markers excluded), in revision order.
    public func keys() async throws -> [String] {
        var keys: [String] = []
        for entry in try await collect(filter: ">", policy: .lastPerSubject, headersOnly: true)
        where entry.operation == .put {
            keys.append(entry.key)
        }
        return keys
    }

    /// Every stored revision of `key`, markers included, oldest first.
    public func history(_ key: String) async throws -> [KeyValueEntry] {
        try checkKey(key)
        return try await collect(filter: key, policy: .all, headersOnly: false)
    }

    /// Reads what an ordered consumer has pending right now, then stops it.
    private func collect(filter: String, policy: DeliverPolicy, headersOnly: Bool) async throws -> [KeyValueEntry] {
        let consumer = try await js.orderedConsumer(
            stream: streamName,
            config: OrderedConsumerConfig(
                filterSubject: subject(filter),
                deliverPolicy: policy,
                headersOnly: headersOnly
            )
        )
        var entries: [KeyValueEntry] = []
        if consumer.initialPending > 0 {
            do {
                for try await message in consumer {
                    entries.append(entry(from: message))
                    if message.metadata.pending == 0 { break }
                }
            } catch {
                await consumer.stop()
                throw error
            }
        }
        await consumer.stop()
        return entries
    }

    /// The entry a consumer-delivered message stands for.
    func entry(from message: JetStreamMessage) -> KeyValueEntry {
        let key =
            message.subject.hasPrefix(subjectPrefix)
            ? String(message.subject.dropFirst(subjectPrefix.count)) : message.subject
        return KeyValueEntry(
            bucket: bucket,
            key: key,
            value: Array(message.payload.readableBytesView),
            revision: message.metadata.streamSequence,
            created: message.metadata.time,
            delta: message.metadata.pending,
            operation: Self.operation(message.headers)
        )
    }
}
