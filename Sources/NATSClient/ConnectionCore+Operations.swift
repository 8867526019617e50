import NATSProtocol
import NIOCore

extension ConnectionCore {
    func publish(
        subject: String, replyTo: String?, headers: NATSHeaders?, payload: ByteBuffer, bufferIfDisconnected: Bool = true
    ) throws -> EventLoopFuture<Void>? {
        guard Subject.isValidForPublish(subject) else {
            throw NATSError(.invalidSubject, "cannot publish to \"\(subject)\"")
        }
        if let headers {
            do { try headers.validate() } catch { throw NATSError(.protocolError, error.message) }
        }
        let size = publishedSize(headers: headers, payload: payload)
        return try enqueue(publish: true, size: size, subject: subject, bufferIfDisconnected: bufferIfDisconnected) {
            buffer in
            buffer.writePublish(subject: subject, replyTo: replyTo, headers: headers, payload: payload)
        }
    }

    func subscribe(subject: String, queue: String?, sink: (UInt64) -> Subscriber.Sink) throws -> UInt64 {
        guard Subject.isValidForSubscribe(subject) else {
            throw NATSError(.invalidSubject, "cannot subscribe to \"\(subject)\"")
        }
        if let queue, !Subject.isValidQueueGroup(queue) {
            throw NATSError(.invalidSubject, "invalid queue group \"\(queue)\"")
        }
        let sid: UInt64 = try lock.withLock { () throws -> UInt64 in
            if state.closed { throw NATSError(.connectionClosed, "the connection is closed") }
            if state.draining { throw NATSError(.draining, "the connection is draining") }
            let sid = state.nextSID
            state.nextSID += 1
            state.subscriptions[sid] = Subscriber(sid: sid, subject: subject, queue: queue, sink: sink(sid))
            return sid
        }
        try enqueue(publish: false) { $0.writeSubscribe(subject: subject, queue: queue, sid: sid) }
        return sid
    }

    func unsubscribe(sid: UInt64, after max: UInt64?) throws {
        let removed: Subscriber? = withState { state in
            guard let subscriber = state.subscriptions[sid] else { return nil }
            if let max, subscriber.delivered < max {
                subscriber.max = max
                return nil
            }
            state.subscriptions[sid] = nil
            return subscriber
        }
        removed?.finish()
        if withState({ $0.closed }) { return }
        try enqueue(publish: false) { $0.writeUnsubscribe(sid: sid, max: max) }
    }

    /// Removes a subscription whose reader went away (the stream was cancelled or dropped).
    func readerGone(sid: UInt64) {
        let existed = withState { $0.subscriptions.removeValue(forKey: sid) != nil }
        if existed { _ = try? enqueue(publish: false) { $0.writeUnsubscribe(sid: sid) } }
    }

    // MARK: Requests over one shared inbox

    func request(
        subject: String, headers: NATSHeaders?, payload: ByteBuffer, timeout: Duration
    ) async throws -> NATSMessage {
        let (token, promise) = try prepareRequest()
        let reply = muxPrefix + token
        do {
            // A request is never kept for after a reconnect: the caller would have given up on it by
            // then, and a write it believes failed (a CAS renewal, say) must not land later.
            if let backlog = try publish(
                subject: subject, replyTo: reply, headers: headers, payload: payload, bufferIfDisconnected: false)
            {
                try? await backlog.get()
            }
        } catch {
            let pending = withState { $0.requests.removeValue(forKey: Substring(token)) }
            pending?.fail(error)
            throw error
        }
        let timer = promise.futureResult.eventLoop.scheduleTask(in: .nanoseconds(timeout.nanoseconds)) {
            [weak self] in
            let pending = self?.withState { $0.requests.removeValue(forKey: Substring(token)) }
            pending?.fail(NATSError(.timeout, "no reply on \"\(subject)\" within \(timeout)"))
        }
        defer { timer.cancel() }
        let message = try await promise.futureResult.get()
        if message.isNoResponders {
            throw NATSError(.noResponders, "nobody is subscribed to \"\(subject)\"")
        }
        return message
    }

    private func prepareRequest() throws -> (String, EventLoopPromise<NATSMessage>) {
        let needsMux = withState { $0.muxSID == nil }
        if needsMux { try startMux() }
        return try lock.withLock { () throws in
            if state.closed { throw NATSError(.connectionClosed, "the connection is closed") }
            state.nextRequest += 1
            let token = String(state.nextRequest, radix: 36)
            let loop = state.channel?.eventLoop ?? group.next()
            let promise = loop.makePromise(of: NATSMessage.self)
            state.requests[Substring(token)] = promise
            return (token, promise)
        }
    }

    private func startMux() throws {
        let claimed = withState { state -> Bool in
            guard state.muxSID == nil else { return false }
            state.muxSID = 0
            return true
        }
        guard claimed else { return }
        do {
            let sid = try subscribe(subject: muxPrefix + "*", queue: nil) { _ in
                .handler { [weak self] message in self?.resolveRequest(message) }
            }
            withState { $0.muxSID = sid }
        } catch {
            withState { $0.muxSID = nil }
            throw error
        }
    }

    private func resolveRequest(_ message: NATSMessage) {
        guard let dot = message.subject.lastIndex(of: ".") else { return }
        let token = message.subject[message.subject.index(after: dot)...]
        let promise = withState { $0.requests.removeValue(forKey: token) }
        promise?.succeed(message)
    }

    // MARK: Flush and drain

    func flush(timeout: Duration) async throws {
        var scheduleOn: Channel?
        let promise: EventLoopPromise<Void> = try lock.withLock { () throws in
            if state.closed { throw NATSError(.connectionClosed, "the connection is closed") }
            guard let channel = state.channel else { throw NATSError(.notConnected, "no server connection") }
            let promise = channel.eventLoop.makePromise(of: Void.self)
            // The waiter and its PING go in together so that PONGs pair with waiters in order.
            state.pongWaiters.append(promise)
            state.outbound.writePing()
            if !state.flushScheduled {
                state.flushScheduled = true
                scheduleOn = channel
            }
            return promise
        }
        if let channel = scheduleOn { channel.eventLoop.execute { self.flushOutbound(channel) } }
        let timer = promise.futureResult.eventLoop.scheduleTask(in: .nanoseconds(timeout.nanoseconds)) {
            promise.fail(NATSError(.timeout, "flush not answered within \(timeout)"))
        }
        defer { timer.cancel() }
        try await promise.futureResult.get()
    }

    func drain(timeout: Duration) async {
        let sids: [UInt64] = withState { state in
            guard !state.closed, !state.draining else { return [] }
            state.draining = true
            return state.subscriptions.keys.filter { $0 != state.muxSID }.sorted()
        }
        for sid in sids { _ = try? enqueue(publish: false) { $0.writeUnsubscribe(sid: sid) } }
        try? await flush(timeout: timeout)
        let subscribers: [Subscriber] = withState { state in
            let list = sids.compactMap { state.subscriptions.removeValue(forKey: $0) }
            return list
        }
        for subscriber in subscribers { subscriber.finish() }
        await close()
    }
}
