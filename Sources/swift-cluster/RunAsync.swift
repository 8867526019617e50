import Dispatch
import Synchronization

/// Runs `body` on the concurrency pool and blocks the calling (main) thread until it finishes.
///
/// The commands are synchronous `ParsableCommand`s on purpose: the daemon must drop privileges before any
/// other thread exists, so the async world starts only after that.
func runAsync<T: Sendable>(_ body: @escaping @Sendable () async throws -> T) throws -> T {
    let result = Mutex<Result<T, any Error>?>(nil)
    let done = DispatchSemaphore(value: 0)
    Task {
        let outcome: Result<T, any Error>
        do { outcome = .success(try await body()) } catch { outcome = .failure(error) }
        result.withLock { $0 = outcome }
        done.signal()
    }
    done.wait()
    return try result.withLock { $0! }.get()
}
