// The syscall funnel of AgentScripts: every libc and CSpawn call lives here. Nothing else in this module
// imports Glibc or CSpawn.
import CSpawn
import Glibc

enum SpawnSys {
    /// `cspawn_spawn`: the child in its own process group with no ambient capabilities, output in a pipe.
    /// Returns the pid and the non-blocking read end, or the errno.
    static func spawn(_ command: ScriptCommand, environment: [String: String]) -> Result<(pid_t, Int32), SpawnErrno> {
        let argv = CStringArray([command.executable] + command.arguments)
        let envp = CStringArray(environment.sorted { $0.key < $1.key }.map { "\($0.key)=\($0.value)" })
        defer {
            argv.free()
            envp.free()
        }
        var pid: pid_t = 0
        var fd: Int32 = -1
        let rc = cspawn_spawn(command.executable, argv.pointers, envp.pointers, &pid, &fd)
        return rc == 0 ? .success((pid, fd)) : .failure(SpawnErrno(code: -rc))
    }

    /// `pidfd_open(pid)`, or `nil` when the kernel has none (then callers tick).
    static func pidfd(_ pid: pid_t) -> Int32? {
        let fd = cspawn_pidfd_open(pid)
        return fd >= 0 ? fd : nil
    }

    /// Whether the child has exited, leaving it unreaped (its pid and group id stay reserved).
    static func hasExited(_ pid: pid_t) -> Bool { cspawn_has_exited(pid) != 0 }

    /// Reaps the child: the exit status, or the signal that ended it.
    static func reap(_ pid: pid_t) -> ScriptResult.Termination {
        var code: Int32 = -1
        var signal: Int32 = 0
        let rc = cspawn_reap(pid, &code, &signal)
        if rc < 0 { return .spawnFailed(errno: -rc, message: "waitpid(\(pid)): \(errnoText(-rc))") }
        return signal != 0 ? .signaled(signal) : .exited(code)
    }

    /// `kill(-pgid, signal)`: the whole process group.
    static func signalGroup(_ pgid: pid_t, _ signal: Int32) { _ = kill(-pgid, signal) }

    /// `poll` on up to two descriptors (negative ones are ignored) for `milliseconds`; the readable flags.
    static func poll(_ a: Int32, _ b: Int32, milliseconds: Int32) -> (Bool, Bool) {
        var fds = [pollfd(fd: a, events: Int16(POLLIN), revents: 0), pollfd(fd: b, events: Int16(POLLIN), revents: 0)]
        let rc = Glibc.poll(&fds, 2, milliseconds)
        guard rc > 0 else { return (false, false) }
        return (fds[0].revents != 0, fds[1].revents != 0)
    }

    /// Reads what is available from a non-blocking descriptor, at most `limit` bytes (so a flood cannot keep
    /// the caller from its deadlines): whether to stop reading (EOF or an error).
    static func readAvailable(_ fd: Int32, limit: Int = 65536, into sink: (UnsafeRawBufferPointer) -> Void) -> Bool {
        var buffer = [UInt8](repeating: 0, count: 4096)
        var total = 0
        while total < limit {
            let n = buffer.withUnsafeMutableBytes { read(fd, $0.baseAddress, $0.count) }
            if n > 0 {
                total += n
                buffer.withUnsafeBytes { sink(UnsafeRawBufferPointer(rebasing: $0.prefix(n))) }
            } else if n == 0 {
                return true
            } else if errno != EINTR {
                return errno != EAGAIN && errno != EWOULDBLOCK
            }
        }
        return false
    }

    static func close(_ fd: Int32) { _ = Glibc.close(fd) }
}

/// An errno from a spawn, with its text.
struct SpawnErrno: Error {
    let code: Int32
    var text: String { errnoText(code) }
}

/// `strerror(code)`.
func errnoText(_ code: Int32) -> String { String(cString: strerror(code)) }

/// A NULL-terminated `char *[]` of `strdup`ed strings, built before the fork (the child may not allocate).
struct CStringArray {
    let pointers: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>
    let count: Int

    init(_ strings: [String]) {
        count = strings.count
        pointers = .allocate(capacity: strings.count + 1)
        for (index, string) in strings.enumerated() { pointers[index] = strdup(string) }
        pointers[strings.count] = nil
    }

    func free() {
        for index in 0..<count { Glibc.free(pointers[index]) }
        pointers.deallocate()
    }
}
