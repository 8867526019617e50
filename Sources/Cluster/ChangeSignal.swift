import Synchronization

/// Wakes waiters when a node's state may have changed, so callers await a condition instead of polling it.
///
/// Versioned: a waiter takes the version, checks its condition, then waits for a later version, so a
/// change between the check and the wait is never missed.
final class ChangeSignal: Sendable {
    private struct State {
        var version: UInt64 = 0
        var waiters: [UInt64: CheckedContinuation<Void, Never>] = [:]
        var nextWaiter: UInt64 = 0
    }

    private let state = Mutex(State())

    /// The current version.
    var version: UInt64 { state.withLock { $0.version } }

    /// Something changed: wakes every waiter.
    func notify() {
        let woken = state.withLock { state -> [CheckedContinuation<Void, Never>] in
            state.version += 1
            defer { state.waiters = [:] }
            return Array(state.waiters.values)
        }
        for continuation in woken { continuation.resume() }
    }

    /// Returns once the version is above `seen`, or the task is cancelled.
    func changed(after seen: UInt64) async {
        let id = state.withLock { state -> UInt64 in
            state.nextWaiter += 1
            return state.nextWaiter
        }
        await withTaskCancellationHandler {
            await withCheckedContinuation { continuation in
                let resumeNow = state.withLock { state -> Bool in
                    if state.version > seen || Task.isCancelled { return true }
                    state.waiters[id] = continuation
                    return false
                }
                if resumeNow { continuation.resume() }
            }
        } onCancel: {
            state.withLock { $0.waiters.removeValue(forKey: id) }?.resume()
        }
    }

    /// Returns once the version is above `seen` (true) or at `deadline` (false).
    func changed(after seen: UInt64, before deadline: ContinuousClock.Instant) async -> Bool {
        if version > seen { return true }
        if ContinuousClock.now >= deadline { return false }
        await withTaskGroup(of: Void.self) { group in
            group.addTask { await self.changed(after: seen) }
            group.addTask { try? await Task.sleep(until: deadline) }
            await group.next()
            group.cancelAll()
        }
        return version > seen
    }

    /// Waits until `condition` holds, re-checking after every change, for at most `timeout`.
    /// - Returns: Whether the condition held in time.
    func wait(for timeout: Duration, until condition: @Sendable () async -> Bool) async -> Bool {
        let deadline = ContinuousClock.now + timeout
        while true {
            let seen = version
            if await condition() { return true }
            if ContinuousClock.now >= deadline || Task.isCancelled { return false }
            _ = await changed(after: seen, before: deadline)
        }
    }
}
