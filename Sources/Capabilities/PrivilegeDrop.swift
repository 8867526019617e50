// The drop itself: keep-caps across setuid, then setgroups/setgid/setuid, then cap_set_proc; verified.
import SystemPackage

/// Drops privileges to a service user keeping only the given capabilities.
public enum PrivilegeDrop {
    /// Becomes `options.user` keeping exactly `options.keep` permitted and effective, with empty
    /// inheritable and ambient sets, the bounding set reduced to `options.keep` (when CAP_SETPCAP allows;
    /// under systemd set `CapabilityBoundingSet=`), and no_new_privs set. Verifies the result.
    ///
    /// From root: `PR_SET_KEEPCAPS`, bounding-set drops, `setgroups`, `setgid`, `setuid`, `cap_set_proc`.
    /// Already the user (systemd `User=` + `AmbientCapabilities=`): trims the sets in place.
    /// Must run before other threads start (capability sets are per thread).
    /// - Returns: The verified state.
    /// - Throws: `PrivilegeError` (`.noSuchUser`, `.noSuchGroup`, `.missingCapabilities`, `.wrongUser`, …).
    @discardableResult
    public static func drop(_ options: PrivilegeDropOptions = .init()) throws(PrivilegeError) -> ProcessPrivileges {
        let target = try resolve(options)
        let before = ProcessPrivileges.current()
        let missing = options.keep.subtracting(before.permitted)
        if !missing.isEmpty {
            throw PrivilegeError(
                .missingCapabilities,
                "not permitted: \(missing.sorted()); run as root or grant them (AmbientCapabilities=)"
            )
        }
        if before.euid == target.uid && before.uid == target.uid {
            try trimInPlace(options, before: before)
        } else if before.euid == 0 {
            try switchFromRoot(options, target: target, before: before)
        } else {
            throw PrivilegeError(
                .wrongUser,
                "running as uid \(before.euid), neither root nor \(options.user) (uid \(target.uid))"
            )
        }
        return try verify(options, target: target, boundingReducible: before.effective.contains(.setPCap))
    }

    private static func resolve(_ options: PrivilegeDropOptions) throws(PrivilegeError) -> (uid: UInt32, gid: UInt32) {
        guard let user = CapSys.user(named: options.user) else {
            throw PrivilegeError(
                .noSuchUser,
                "user '\(options.user)' does not exist (create it: adduser --system \(options.user))"
            )
        }
        guard let groupName = options.group else { return user }
        guard let gid = CapSys.groupID(named: groupName) else {
            throw PrivilegeError(.noSuchGroup, "group '\(groupName)' does not exist")
        }
        return (user.uid, gid)
    }

    private static func switchFromRoot(
        _ options: PrivilegeDropOptions,
        target: (uid: UInt32, gid: UInt32),
        before: ProcessPrivileges
    ) throws(PrivilegeError) {
        let needed: Set<Capability> = [.setUID, .setGID, .setPCap]
        let lacking = needed.subtracting(before.effective)
        if !lacking.isEmpty {
            throw PrivilegeError(.missingCapabilities, "root lacks \(lacking.sorted()) to switch users")
        }
        try step("prctl(PR_SET_KEEPCAPS, 1)") { () throws(Errno) in try CapSys.setKeepCaps(true) }
        try reduceBoundingSet(keep: options.keep)
        try step("setgroups") { () throws(Errno) in try CapSys.setGroups([target.gid]) }
        try step("setgid(\(target.gid))") { () throws(Errno) in try CapSys.setGID(target.gid) }
        try step("setuid(\(target.uid))") { () throws(Errno) in try CapSys.setUID(target.uid) }
        try setSets(keep: options.keep)
        try step("prctl(PR_SET_KEEPCAPS, 0)") { () throws(Errno) in try CapSys.setKeepCaps(false) }
        try step("prctl(PR_SET_NO_NEW_PRIVS, 1)") { () throws(Errno) in try CapSys.setNoNewPrivs() }
    }

    private static func trimInPlace(_ options: PrivilegeDropOptions, before: ProcessPrivileges) throws(PrivilegeError) {
        if before.effective.contains(.setPCap) { try reduceBoundingSet(keep: options.keep) }
        try setSets(keep: options.keep)
        try step("prctl(PR_SET_NO_NEW_PRIVS, 1)") { () throws(Errno) in try CapSys.setNoNewPrivs() }
    }

    private static func reduceBoundingSet(keep: Set<Capability>) throws(PrivilegeError) {
        for cap in 0..<CapSys.maxBits() where !keep.contains(Capability(rawValue: cap)) && CapSys.inBoundingSet(cap) {
            try step("cap_drop_bound(\(cap))") { () throws(Errno) in try CapSys.dropFromBoundingSet(cap) }
        }
    }

    private static func setSets(keep: Set<Capability>) throws(PrivilegeError) {
        let raw = keep.map(\.rawValue).sorted()
        try step("cap_reset_ambient") { () throws(Errno) in try CapSys.clearAmbient() }
        try step("cap_set_proc") { () throws(Errno) in
            try CapSys.setProcessSets(permitted: raw, effective: raw, inheritable: [])
        }
    }

    private static func step(_ what: String, _ body: () throws(Errno) -> Void) throws(PrivilegeError) {
        do {
            try body()
        } catch {
            let code: PrivilegeError.Code = (error == .notPermitted) ? .missingCapabilities : .systemCall
            throw PrivilegeError(code, "\(what): \(error)")
        }
    }

    private static func verify(
        _ options: PrivilegeDropOptions,
        target: (uid: UInt32, gid: UInt32),
        boundingReducible: Bool
    ) throws(PrivilegeError) -> ProcessPrivileges {
        let now = ProcessPrivileges.current()
        var problems: [String] = []
        if now.uid != target.uid || now.euid != target.uid { problems.append("uid \(now.uid)/\(now.euid)") }
        if now.gid != target.gid || now.egid != target.gid { problems.append("gid \(now.gid)/\(now.egid)") }
        if now.permitted != options.keep { problems.append("permitted \(now.permitted.sorted())") }
        if now.effective != options.keep { problems.append("effective \(now.effective.sorted())") }
        if !now.inheritable.isEmpty { problems.append("inheritable \(now.inheritable.sorted())") }
        if !now.ambient.isEmpty { problems.append("ambient \(now.ambient.sorted())") }
        if boundingReducible && now.bounding != options.keep { problems.append("bounding \(now.bounding.sorted())") }
        if !now.noNewPrivileges { problems.append("no_new_privs not set") }
        // Capability sets are per thread: a thread started before the drop would keep root's.
        let mask = Capability.mask(options.keep)
        let strays = CapSys.effectiveMaskPerThread().filter { $0.value != mask }.keys.sorted()
        if !strays.isEmpty {
            problems.append("threads \(strays) keep other capabilities (drop before starting threads)")
        }
        if !problems.isEmpty { throw PrivilegeError(.verificationFailed, problems.joined(separator: ", ")) }
        return now
    }

    /// Emulates systemd `User=`, `CapabilityBoundingSet=` and `AmbientCapabilities=`: from root, becomes
    /// the user with `options.keep` in the bounding, inheritable and ambient sets, then `execv`s `path`.
    /// For tests and wrappers; the agent itself calls `drop`.
    /// - Returns: Only on failure, with the error.
    public static func execAsServiceUser(
        _ options: PrivilegeDropOptions,
        path: String,
        arguments: [String]
    ) -> PrivilegeError {
        do throws(PrivilegeError) {
            let target = try resolve(options)
            let raw = options.keep.map(\.rawValue).sorted()
            try step("prctl(PR_SET_KEEPCAPS, 1)") { () throws(Errno) in try CapSys.setKeepCaps(true) }
            try reduceBoundingSet(keep: options.keep)
            try step("setgroups") { () throws(Errno) in try CapSys.setGroups([target.gid]) }
            try step("setgid") { () throws(Errno) in try CapSys.setGID(target.gid) }
            try step("setuid") { () throws(Errno) in try CapSys.setUID(target.uid) }
            try step("cap_set_proc") { () throws(Errno) in
                try CapSys.setProcessSets(permitted: raw, effective: raw, inheritable: raw)
            }
            for cap in raw { try step("cap_set_ambient(\(cap))") { () throws(Errno) in try CapSys.raiseAmbient(cap) } }
            return PrivilegeError(.systemCall, "execv \(path): \(CapSys.exec(path, [path] + arguments))")
        } catch {
            return error
        }
    }
}
