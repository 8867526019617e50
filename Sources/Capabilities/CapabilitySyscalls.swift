// The syscall funnel of the Capabilities module: every libc, prctl and libcap call lives here, in short
// wrappers that retry EINTR and throw `Errno`. Nothing else in this module imports Glibc or CLibCap.
import CLibCap
import Glibc
import SystemPackage

@inline(__always)
func valueOrErrno<T: FixedWidthInteger>(_ body: () -> T) throws(Errno) -> T {
    while true {
        let result = body()
        if result != -1 { return result }
        let error = Errno(rawValue: Glibc.errno)
        if error == .interrupted { continue }
        if error == .badAddress { preconditionFailure("Capabilities syscall misuse: \(error)") }
        throw error
    }
}

enum CapSys {
    // MARK: Users and groups

    /// `getpwnam_r(name)`: uid and primary gid, or `nil` when there is no such user.
    static func user(named name: String) -> (uid: UInt32, gid: UInt32)? {
        var pwd = passwd()
        var result: UnsafeMutablePointer<passwd>?
        var buffer = [CChar](repeating: 0, count: 16384)
        let rc = getpwnam_r(name, &pwd, &buffer, buffer.count, &result)
        guard rc == 0, result != nil else { return nil }
        return (pwd.pw_uid, pwd.pw_gid)
    }

    /// `getgrnam_r(name)`: the gid, or `nil` when there is no such group.
    static func groupID(named name: String) -> UInt32? {
        var grp = Glibc.group()
        var result: UnsafeMutablePointer<group>?
        var buffer = [CChar](repeating: 0, count: 16384)
        let rc = getgrnam_r(name, &grp, &buffer, buffer.count, &result)
        guard rc == 0, result != nil else { return nil }
        return grp.gr_gid
    }

    /// `getuid`, `geteuid`, `getgid`, `getegid`: real and effective ids.
    static func ids() -> (uid: UInt32, euid: UInt32, gid: UInt32, egid: UInt32) {
        (getuid(), geteuid(), getgid(), getegid())
    }

    /// `getgroups`: the supplementary groups.
    static func supplementaryGroups() -> [UInt32] {
        let n = getgroups(0, nil)
        guard n > 0 else { return [] }
        var groups = [gid_t](repeating: 0, count: Int(n))
        let m = getgroups(n, &groups)
        return Array(groups.prefix(Int(max(0, m))))
    }

    /// `setgroups(groups)`.
    static func setGroups(_ groups: [UInt32]) throws(Errno) {
        _ = try valueOrErrno { setgroups(groups.count, groups) }
    }

    /// `setgid(gid)`: as root it sets real, effective and saved gid (glibc applies it to every thread).
    static func setGID(_ gid: UInt32) throws(Errno) { _ = try valueOrErrno { setgid(gid) } }

    /// `setuid(uid)`: as root it sets real, effective and saved uid (glibc applies it to every thread).
    static func setUID(_ uid: UInt32) throws(Errno) { _ = try valueOrErrno { setuid(uid) } }

    // MARK: prctl

    /// `prctl(PR_SET_KEEPCAPS, on)`.
    static func setKeepCaps(_ on: Bool) throws(Errno) { _ = try valueOrErrno { sc_set_keepcaps(on ? 1 : 0) } }

    /// `prctl(PR_SET_NO_NEW_PRIVS, 1)`.
    static func setNoNewPrivs() throws(Errno) { _ = try valueOrErrno { sc_set_no_new_privs() } }

    /// `prctl(PR_GET_NO_NEW_PRIVS)`.
    static func noNewPrivs() -> Bool { sc_get_no_new_privs() == 1 }

    // MARK: libcap

    /// `cap_max_bits()`: how many capabilities this kernel knows.
    static func maxBits() -> Int32 { Int32(cap_max_bits()) }

    /// `cap_get_bound(cap)`.
    static func inBoundingSet(_ cap: Int32) -> Bool { cap_get_bound(cap_value_t(cap)) == 1 }

    /// `cap_drop_bound(cap)`; needs CAP_SETPCAP.
    static func dropFromBoundingSet(_ cap: Int32) throws(Errno) {
        _ = try valueOrErrno { cap_drop_bound(cap_value_t(cap)) }
    }

    /// `cap_get_ambient(cap)`.
    static func inAmbientSet(_ cap: Int32) -> Bool { cap_get_ambient(cap_value_t(cap)) == 1 }

    /// `cap_set_ambient(cap, CAP_SET)`; the capability must be permitted and inheritable.
    static func raiseAmbient(_ cap: Int32) throws(Errno) {
        _ = try valueOrErrno { cap_set_ambient(cap_value_t(cap), cap_flag_value_t(UInt32(SC_CAP_SET))) }
    }

    /// `cap_reset_ambient()`.
    static func clearAmbient() throws(Errno) { _ = try valueOrErrno { cap_reset_ambient() } }

    /// `cap_get_proc` + `cap_get_flag`: the calling thread's permitted, effective and inheritable sets.
    static func processSets() -> (permitted: [Int32], effective: [Int32], inheritable: [Int32]) {
        guard let caps = cap_get_proc() else { return ([], [], []) }
        defer { cap_free(UnsafeMutableRawPointer(caps)) }
        func members(_ flag: Int32) -> [Int32] {
            (0..<maxBits()).filter { cap in
                var value = cap_flag_value_t(0)
                return cap_get_flag(caps, cap_value_t(cap), cap_flag_t(UInt32(flag)), &value) == 0
                    && value.rawValue != 0
            }
        }
        return (members(SC_CAP_PERMITTED), members(SC_CAP_EFFECTIVE), members(SC_CAP_INHERITABLE))
    }

    /// `cap_init` + `cap_set_flag` + `cap_set_proc`: replaces the calling thread's sets.
    static func setProcessSets(permitted: [Int32], effective: [Int32], inheritable: [Int32]) throws(Errno) {
        guard let caps = cap_init() else { throw Errno(rawValue: Glibc.errno) }
        defer { cap_free(UnsafeMutableRawPointer(caps)) }
        for (flag, list) in [
            (SC_CAP_PERMITTED, permitted), (SC_CAP_EFFECTIVE, effective), (SC_CAP_INHERITABLE, inheritable),
        ]
        where !list.isEmpty {
            let values = list.map { cap_value_t($0) }
            _ = try valueOrErrno {
                cap_set_flag(
                    caps,
                    cap_flag_t(UInt32(flag)),
                    CInt(values.count),
                    values,
                    cap_flag_value_t(UInt32(SC_CAP_SET))
                )
            }
        }
        _ = try valueOrErrno { cap_set_proc(caps) }
    }

    // MARK: /proc

    /// The `CapEff` mask of every thread of this process (`/proc/self/task/*/status`), keyed by thread id.
    static func effectiveMaskPerThread() -> [Int: UInt64] {
        guard let dir = opendir("/proc/self/task") else { return [:] }
        defer { closedir(dir) }
        var out: [Int: UInt64] = [:]
        while let entry = readdir(dir) {
            let name = withUnsafeBytes(of: entry.pointee.d_name) {
                String(decoding: $0.prefix { $0 != 0 }, as: UTF8.self)
            }
            guard let tid = Int(name), let status = readSmallFile("/proc/self/task/\(tid)/status") else { continue }
            for line in status.split(separator: "\n") where line.hasPrefix("CapEff:") {
                out[tid] = UInt64(line.dropFirst(7).trimmingPrefix(while: { $0 == " " || $0 == "\t" }), radix: 16)
            }
        }
        return out
    }

    /// `open` + `read` of a small text file (a few KiB), or `nil`.
    static func readSmallFile(_ path: String) -> String? {
        let fd = Glibc.open(path, O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else { return nil }
        defer { Glibc.close(fd) }
        var buffer = [UInt8](repeating: 0, count: 16384)
        guard let n = try? valueOrErrno({ buffer.withUnsafeMutableBytes { read(fd, $0.baseAddress, $0.count) } }) else {
            return nil
        }
        return String(decoding: buffer[0..<n], as: UTF8.self)
    }

    // MARK: exec

    /// `execv(path, arguments)`; returns only on failure.
    static func exec(_ path: String, _ arguments: [String]) -> Errno {
        var argv: [UnsafeMutablePointer<CChar>?] = arguments.map { strdup($0) } + [nil]
        _ = execv(path, &argv)
        let error = Errno(rawValue: Glibc.errno)
        for p in argv { free(p) }
        return error
    }
}
