// Dropping from root (or a systemd service user with ambient capabilities) to a user that keeps exactly
// the capabilities the VIP engine needs. Call first thing in `main`, before any other thread exists:
// capability sets are per thread.

/// A Linux capability number (`cap_value_t`).
public struct Capability: RawRepresentable, Hashable, Sendable, Comparable, CustomStringConvertible {
    public var rawValue: Int32
    public init(rawValue: Int32) { self.rawValue = rawValue }
    /// The corresponding C constant is `CAP_DAC_OVERRIDE`.
    public static let dacOverride = Self(rawValue: 1)
    /// The corresponding C constant is `CAP_SETGID`.
    public static let setGID = Self(rawValue: 6)
    /// The corresponding C constant is `CAP_SETUID`.
    public static let setUID = Self(rawValue: 7)
    /// The corresponding C constant is `CAP_SETPCAP`.
    public static let setPCap = Self(rawValue: 8)
    /// The corresponding C constant is `CAP_NET_BIND_SERVICE`.
    public static let netBindService = Self(rawValue: 10)
    /// The corresponding C constant is `CAP_NET_ADMIN`.
    public static let netAdmin = Self(rawValue: 12)
    /// The corresponding C constant is `CAP_NET_RAW`.
    public static let netRaw = Self(rawValue: 13)
    /// The corresponding C constant is `CAP_SYS_ADMIN`.
    public static let sysAdmin = Self(rawValue: 21)

    public static func < (l: Self, r: Self) -> Bool { l.rawValue < r.rawValue }
    public var description: String { "cap \(rawValue)" }

    /// The `/proc/self/status` hex mask of a set (`CapEff: 0000000000003000` for NET_ADMIN + NET_RAW).
    public static func mask(_ caps: Set<Capability>) -> UInt64 {
        caps.reduce(0) { $0 | (1 << UInt64($1.rawValue)) }
    }
}

/// Who to become and what to keep.
public struct PrivilegeDropOptions: Hashable, Sendable {
    /// The user to run as (default `swift-cluster`).
    public var user: String
    /// The group; `nil` means the user's primary group.
    public var group: String?
    /// The capabilities to keep permitted and effective (default CAP_NET_ADMIN and CAP_NET_RAW).
    public var keep: Set<Capability>

    /// Creates options.
    public init(user: String = "swift-cluster", group: String? = nil, keep: Set<Capability> = [.netAdmin, .netRaw]) {
        self.user = user
        self.group = group
        self.keep = keep
    }
}

/// The calling thread's identity and capability sets.
public struct ProcessPrivileges: Hashable, Sendable {
    public var uid: UInt32
    public var euid: UInt32
    public var gid: UInt32
    public var egid: UInt32
    public var supplementaryGroups: [UInt32]
    public var permitted: Set<Capability>
    public var effective: Set<Capability>
    public var inheritable: Set<Capability>
    public var ambient: Set<Capability>
    public var bounding: Set<Capability>
    /// `prctl(PR_GET_NO_NEW_PRIVS)`.
    public var noNewPrivileges: Bool

    /// Reads the current state (`cap_get_proc`, `cap_get_bound`, `cap_get_ambient`, `getuid`, …).
    public static func current() -> ProcessPrivileges {
        let ids = CapSys.ids()
        let sets = CapSys.processSets()
        let all = (0..<CapSys.maxBits()).map(Capability.init(rawValue:))
        return ProcessPrivileges(
            uid: ids.uid,
            euid: ids.euid,
            gid: ids.gid,
            egid: ids.egid,
            supplementaryGroups: CapSys.supplementaryGroups(),
            permitted: Set(sets.permitted.map(Capability.init(rawValue:))),
            effective: Set(sets.effective.map(Capability.init(rawValue:))),
            inheritable: Set(sets.inheritable.map(Capability.init(rawValue:))),
            ambient: Set(all.filter { CapSys.inAmbientSet($0.rawValue) }),
            bounding: Set(all.filter { CapSys.inBoundingSet($0.rawValue) }),
            noNewPrivileges: CapSys.noNewPrivs()
        )
    }
}

/// Why privileges could not be dropped, or why the result is not what was asked for.
public struct PrivilegeError: Error, Hashable, Sendable, CustomStringConvertible {
    public struct Code: RawRepresentable, Hashable, Sendable {
        public var rawValue: String
        public init(rawValue: String) { self.rawValue = rawValue }
        /// The user does not exist.
        public static let noSuchUser = Self(rawValue: "no such user")
        /// The group does not exist.
        public static let noSuchGroup = Self(rawValue: "no such group")
        /// The process lacks capabilities it needs to keep or to switch users.
        public static let missingCapabilities = Self(rawValue: "missing capabilities")
        /// Started as neither root nor the target user.
        public static let wrongUser = Self(rawValue: "wrong user")
        /// A system call failed.
        public static let systemCall = Self(rawValue: "system call failed")
        /// After the drop, the state differs from the request.
        public static let verificationFailed = Self(rawValue: "verification failed")
    }

    public var code: Code
    public var detail: String
    public init(_ code: Code, _ detail: String) {
        self.code = code
        self.detail = detail
    }

    public var description: String { "dropping privileges: \(code.rawValue): \(detail)" }
}
