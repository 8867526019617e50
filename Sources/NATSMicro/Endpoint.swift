import NATSClient
import Synchronization

/// Handles one request. Answer through ``ServiceRequest/respond(_:headers:)-(ByteBuffer,_)`` or
/// ``ServiceRequest/respondError(code:description:data:headers:)``; a thrown error is answered with code 500
/// (unless the handler already answered) and counted in the endpoint's stats.
public typealias ServiceHandler = @Sendable (ServiceRequest) async throws -> Void

/// One endpoint of a running service: its subscription, handler loop and counters.
final class Endpoint: Sendable {
    let name: String
    let subject: String
    /// `nil` for a plain (non-queue) subscription.
    let queueGroup: String?
    let metadata: [String: String]

    private struct Counters {
        var requests = 0
        var errors = 0
        var lastError = ""
        var processingNanos: Int64 = 0
    }

    private let counters = Mutex(Counters())

    init(name: String, subject: String, queueGroup: String?, metadata: [String: String]) {
        self.name = name
        self.subject = subject
        self.queueGroup = queueGroup
        self.metadata = metadata
    }

    var info: EndpointInfo {
        EndpointInfo(name: name, subject: subject, queueGroup: queueGroup, metadata: metadata)
    }

    var stats: EndpointStats {
        counters.withLock { c in
            EndpointStats(
                name: name, subject: subject, queueGroup: queueGroup, numRequests: c.requests,
                numErrors: c.errors, lastError: c.lastError, processingTime: c.processingNanos,
                averageProcessingTime: c.requests == 0 ? 0 : c.processingNanos / Int64(c.requests))
        }
    }

    func resetStats() { counters.withLock { $0 = Counters() } }

    /// Serves requests one after another until the subscription ends.
    func serve(_ subscription: NATSSubscription, connection: NATSConnection, handler: ServiceHandler) async {
        for await message in subscription {
            await handle(message, connection: connection, handler: handler)
        }
    }

    private func handle(_ message: NATSMessage, connection: NATSConnection, handler: ServiceHandler) async {
        let outcome = RequestOutcome()
        let request = ServiceRequest(message: message, connection: connection, outcome: outcome)
        let clock = ContinuousClock()
        let start = clock.now
        do {
            try await handler(request)
        } catch let error as MicroError where error.code == .noReplySubject {
            // A plain publish (no reply subject) that the handler tried to answer: nothing went wrong.
        } catch {
            if !outcome.responded && message.replyTo != nil {
                try? await request.respondError(code: 500, description: "\(error)")
            }
            outcome.recordError("500:\(error)")
        }
        let elapsed = clock.now - start
        let nanos = elapsed.components.seconds * 1_000_000_000 + elapsed.components.attoseconds / 1_000_000_000
        let error = outcome.error
        counters.withLock { c in
            c.requests += 1
            c.processingNanos += nanos
            if let error {
                c.errors += 1
                c.lastError = error
            }
        }
    }
}
