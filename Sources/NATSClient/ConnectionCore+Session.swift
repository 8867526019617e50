import NATSProtocol
import NIOCore
import NIOPosix

extension ConnectionCore {
    /// Opens a TCP connection to `url` and runs the handshake, within ``NATSOptions/connectTimeout``.
    func openChannel(to url: ServerURL) async throws -> (Channel, ServerInfo) {
        let eventLoop = group.next()
        let handshake = eventLoop.makePromise(of: ServerInfo.self)
        let bootstrap = ClientBootstrap(group: eventLoop)
            .connectTimeout(.nanoseconds(Int64(options.connectTimeout.nanoseconds)))
            .channelOption(.socketOption(.tcp_nodelay), value: 1)
            .channelOption(.writeBufferWaterMark, value: .init(low: 1 << 20, high: 4 << 20))
            .channelInitializer { [self] channel in
                channel.eventLoop.makeCompletedFuture {
                    try channel.pipeline.syncOperations.addHandler(ByteToMessageHandler(ServerOpDecoder()))
                    try channel.pipeline.syncOperations.addHandler(
                        NATSChannelHandler(core: self, url: url, handshake: handshake))
                }
            }
        let channel: Channel
        do {
            channel = try await bootstrap.connect(host: url.host, port: url.port).get()
        } catch {
            handshake.fail(error)
            throw NATSError(.io, "cannot connect to \(url): \(error)")
        }
        let timeout = channel.eventLoop.scheduleTask(in: .nanoseconds(Int64(options.connectTimeout.nanoseconds))) {
            handshake.fail(NATSError(.timeout, "handshake with \(url) took longer than \(self.options.connectTimeout)"))
            channel.close(promise: nil)
        }
        do {
            let info = try await handshake.futureResult.get()
            timeout.cancel()
            return (channel, info)
        } catch {
            timeout.cancel()
            channel.close(promise: nil)
            throw error
        }
    }

    /// Makes `channel` the live connection: re-sends subscriptions, then the publishes kept while
    /// disconnected, starts the keepalive and watches for the channel closing.
    func install(_ channel: Channel, url: ServerURL, info: ServerInfo) throws {
        var discovered: [String]?
        let wasConnected: Bool = try lock.withLock { () throws -> Bool in
            if state.closed { throw NATSError(.connectionClosed, "closed while connecting") }
            let wasConnected = state.everConnected
            state.everConnected = true
            state.channel = channel
            state.current = url
            state.info = info
            state.pingsOutstanding = 0
            state.pongWaiters.removeAll()
            state.pool.recordSuccess(url)
            if wasConnected { state.reconnects += 1 }
            if !options.ignoreDiscoveredServers, let urls = info.connectURLs,
                state.pool.merge(connectURLs: urls, current: url, tls: url.wantsTLS)
            {
                discovered = state.pool.entries.map { $0.url.description }
            }
            var batch = channel.allocator.buffer(capacity: 4096 + state.outbound.readableBytes)
            for subscriber in state.subscriptions.values.sorted(by: { $0.sid < $1.sid }) {
                batch.writeSubscribe(subject: subscriber.subject, queue: subscriber.queue, sid: subscriber.sid)
                if let max = subscriber.max {
                    batch.writeUnsubscribe(sid: subscriber.sid, max: max > subscriber.delivered ? max - subscriber.delivered : 1)
                }
            }
            batch.writeBuffer(&state.outbound)
            state.outbound.clear()
            state.flushScheduled = false
            state.lastWrite = channel.writeAndFlush(batch)
            let interval = TimeAmount.nanoseconds(Int64(options.pingInterval.nanoseconds))
            state.keepalive = channel.eventLoop.scheduleRepeatedTask(initialDelay: interval, delay: interval) {
                [weak self] _ in self?.keepaliveTick(channel)
            }
            return wasConnected
        }
        channel.closeFuture.whenComplete { [weak self] _ in self?.channelClosed(channel) }
        logger.info("connected", metadata: ["server": "\(url)", "server_name": "\(info.serverName ?? "")"])
        emit(wasConnected ? .reconnected(server: url.description) : .connected(server: url.description))
        if let discovered { emit(.serversDiscovered(discovered)) }
    }

    /// The live channel closed: fail the flushes waiting on it and wake the reconnect loop.
    func channelClosed(_ channel: Channel) {
        let lost: (NATSError?, [EventLoopPromise<Void>?], Bool)? = withState { state in
            guard state.channel === channel else { return nil }
            state.channel = nil
            state.keepalive?.cancel()
            state.keepalive = nil
            state.flushScheduled = false
            state.lastWrite = nil
            state.pingsOutstanding = 0
            let waiters = Array(state.pongWaiters)
            state.pongWaiters.removeAll()
            let error = state.lastError.flatMap { $0.channel == ObjectIdentifier(channel) ? $0.error : nil }
            state.lastError = nil
            return (error, waiters, state.closed)
        }
        guard let (error, waiters, closed) = lost else { return }
        for waiter in waiters {
            waiter?.fail(NATSError(.disconnected, "connection lost before the server answered"))
        }
        if !closed { lossContinuation.yield(error) }
    }

    /// The reconnect loop: runs for the lifetime of the connection.
    func supervise() async {
        for await error in losses {
            if withState({ $0.closed }) { return }
            logger.warning("disconnected", metadata: ["error": "\(error.map { "\($0)" } ?? "connection closed")"])
            emit(.disconnected(error))
            await reconnect()
        }
    }

    private func reconnect() async {
        while !Task.isCancelled {
            let (order, closed) = withState { state in
                (state.pool.reconnectOrder(current: state.current, avoid: state.lameDuckServer), state.closed)
            }
            if closed { return }
            if order.isEmpty {
                await close(error: NATSError(.noServers, "every server used up its reconnect attempts"))
                return
            }
            for url in order {
                if Task.isCancelled || withState({ $0.closed }) { return }
                do {
                    let (channel, info) = try await openChannel(to: url)
                    try install(channel, url: url, info: info)
                    withState { $0.lameDuckServer = nil }
                    return
                } catch {
                    logger.debug("reconnect attempt failed", metadata: ["server": "\(url)", "error": "\(error)"])
                    withState { $0.pool.recordFailure(url) }
                }
            }
            let jitter = (withState { $0.current?.wantsTLS ?? false }) ? options.reconnectJitterTLS : options.reconnectJitter
            let extra = Duration.nanoseconds(Int64.random(in: 0...max(0, Int64(jitter.nanoseconds))))
            try? await Task.sleep(for: options.reconnectWait + extra)
        }
    }

    /// Closes for good: fails pending requests and flushes, ends every subscription and event stream.
    func close(error: NATSError? = nil) async {
        let taken = withState { state -> (Channel?, [Subscriber], [EventLoopPromise<NATSMessage>], [EventLoopPromise<Void>?], [AsyncStream<NATSEvent>.Continuation])? in
            guard !state.closed else { return nil }
            state.closed = true
            state.keepalive?.cancel()
            state.keepalive = nil
            let channel = state.channel
            state.channel = nil
            defer {
                state.subscriptions.removeAll()
                state.requests.removeAll()
                state.pongWaiters.removeAll()
                state.listeners.removeAll()
            }
            return (channel, Array(state.subscriptions.values), Array(state.requests.values),
                    Array(state.pongWaiters), Array(state.listeners.values))
        }
        guard let (channel, subscribers, requests, waiters, listeners) = taken else { return }
        let reason = error ?? NATSError(.connectionClosed, "the connection was closed")
        for request in requests { request.fail(reason) }
        for waiter in waiters { waiter?.fail(reason) }
        for subscriber in subscribers { subscriber.finish() }
        lossContinuation.finish()
        supervisor.withLockedValue { $0?.cancel() }
        if let channel { try? await channel.close() }
        if let error { logger.error("connection closed", metadata: ["error": "\(error)"]) }
        for listener in listeners {
            listener.yield(.closed)
            listener.finish()
        }
    }
}

extension Duration {
    var nanoseconds: Int64 {
        let (seconds, attoseconds) = components
        return seconds * 1_000_000_000 + attoseconds / 1_000_000_000
    }
}
