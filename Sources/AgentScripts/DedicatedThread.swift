import Glibc

/// A detached POSIX thread for one blocking job, so waits never occupy the Swift concurrency pool.
enum DedicatedThread {
    private final class Job {
        let body: () -> Void
        init(_ body: @escaping () -> Void) { self.body = body }
    }

    /// Runs `body` on a new detached thread; returns the errno when the thread could not be created.
    static func start(_ body: @escaping @Sendable () -> Void) -> Int32? {
        let job = Unmanaged.passRetained(Job(body)).toOpaque()
        var thread = pthread_t()
        let rc = pthread_create(
            &thread,
            nil,
            { raw in
                let job = Unmanaged<Job>.fromOpaque(raw!).takeRetainedValue()
                job.body()
                return nil
            },
            job
        )
        guard rc == 0 else {
            Unmanaged<Job>.fromOpaque(job).release()
            return rc
        }
        pthread_detach(thread)
        return nil
    }
}
