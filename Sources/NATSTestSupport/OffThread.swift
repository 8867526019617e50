import Foundation

/// Runs blocking work (process start-up polling, waiting for an exit) on a thread of its own and
/// awaits the result.
///
/// ``NATSServer`` and ``NATSCluster`` block while they wait for a process; called directly from async
/// tests they would occupy threads of the small Swift concurrency pool (one per core) that the
/// clients under test need, and stall everything else running in parallel.
public func offThread<T: Sendable>(_ body: @escaping @Sendable () throws -> T) async throws -> T {
    try await withCheckedThrowingContinuation { continuation in
        Thread.detachNewThread {
            continuation.resume(with: Result { try body() })
        }
    }
}

extension NATSServer {
    /// Starts a server without blocking the caller's concurrency thread.
    public static func launch(options: Options = Options()) async throws -> NATSServer {
        try await offThread { try NATSServer(options: options) }
    }
}
