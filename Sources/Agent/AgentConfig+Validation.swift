import Cluster
import Foundation

#if canImport(Glibc)
import Glibc
#endif

extension AgentConfig {
    /// Checks every rule of the seed's part and of the agent's keys; the first violation is thrown.
    /// - Throws: ``ConfigError`` `.invalidValue` naming the key and what was expected.
    public func validate() throws(ConfigError) {
        try cluster.validate()
        var seen: [String: String] = [:]
        for (index, vip) in vips.enumerated() {
            let path = (index == 0 && cluster.vip != nil) ? "vip" : "vips[\(index - (cluster.vip == nil ? 0 : 1))]"
            try vip.validate(path: path)
            let key = Self.normalized(vip.address)
            if let first = seen[key] {
                throw ConfigError(.invalidValue, path: "\(path).address", "\(vip.address) is already configured at \(first)")
            }
            seen[key] = path
        }
        if let user { try check(Self.isValidUserName(user), "user", "\"\(user)\" is not a valid user name") }
        if let tls {
            for (key, value) in [("ca", tls.ca), ("cert", tls.cert), ("key", tls.key)] {
                if let value { try check(value.hasPrefix("/"), "nats.tls.\(key)", "must be an absolute path, found \"\(value)\"") }
            }
            try check((tls.cert == nil) == (tls.key == nil), tls.cert == nil ? "nats.tls.cert" : "nats.tls.key",
                "cert and key go together (mutual TLS needs both)")
        }
        if let nkeySeedFile {
            try check(nkeySeedFile.hasPrefix("/"), "nats.nkeySeedFile", "must be an absolute path, found \"\(nkeySeedFile)\"")
            try check(cluster.natsCredentials == nil, "nats.nkeySeedFile", "use either nats.credentials or nats.nkeySeedFile, not both")
        }
        for (key, value) in [("master", notify.master), ("backup", notify.backup), ("fault", notify.fault)] {
            if let value { try check(value.hasPrefix("/"), "notify.\(key)", "must be an absolute path, found \"\(value)\"") }
        }
        try validateHealthChecks()
        for (index, name) in trackInterfaces.enumerated() {
            try check(Self.isValidInterfaceName(name), "trackInterfaces[\(index)]",
                "\"\(name)\" is not a valid interface name (1-15 characters, no '/', ':' or spaces)")
        }
        if let metricsListen {
            try check(Self.isLoopback(metricsListen.host), "metrics.listen",
                "\(metricsListen) is not a loopback address (127.0.0.0/8 or ::1): the endpoint is unauthenticated")
        }
    }

    private func validateHealthChecks() throws(ConfigError) {
        var names: Set<String> = []
        for (index, check) in healthChecks.enumerated() {
            let path = "healthChecks[\(index)]"
            try self.check(
                !check.name.isEmpty && check.name.utf8.allSatisfy { Self.isNameByte($0) }, "\(path).name",
                "\"\(check.name)\" must be 1 or more of A-Z a-z 0-9 - _ .")
            try self.check(names.insert(check.name).inserted, "\(path).name", "\"\(check.name)\" is used twice")
            try self.check(!check.command.isEmpty, "\(path).command", "must name an executable")
            try self.check(check.command[0].hasPrefix("/"), "\(path).command[0]",
                "must be an absolute path, found \"\(check.command[0])\" (use [\"/bin/sh\", \"-c\", \"...\"] for a shell)")
            try self.check(check.timeout <= check.interval, "\(path).timeoutMs",
                "must not exceed intervalMs (\(check.interval)), found \(check.timeout)")
        }
    }

    private func check(_ condition: Bool, _ path: String, _ message: @autoclosure () -> String) throws(ConfigError) {
        if !condition { throw ConfigError(.invalidValue, path: path, message()) }
    }

    static func isNameByte(_ byte: UInt8) -> Bool {
        (0x30...0x39).contains(byte) || (0x41...0x5A).contains(byte) || (0x61...0x7A).contains(byte)
            || byte == UInt8(ascii: "-") || byte == UInt8(ascii: "_") || byte == UInt8(ascii: ".")
    }

    /// The kernel's dev_valid_name(): 1-15 bytes, no '/', ':' or white space, not "." or "..".
    static func isValidInterfaceName(_ name: String) -> Bool {
        let bytes = name.utf8
        return !bytes.isEmpty && bytes.count < 16 && name != "." && name != ".."
            && bytes.allSatisfy { $0 > 0x20 && $0 != 0x7F && $0 != UInt8(ascii: "/") && $0 != UInt8(ascii: ":") }
    }

    /// POSIX-portable user names as Debian's adduser accepts them by default.
    static func isValidUserName(_ name: String) -> Bool {
        guard let first = name.utf8.first, first != UInt8(ascii: "-"), name.utf8.count <= 32 else { return false }
        return name.utf8.allSatisfy { isNameByte($0) || $0 == UInt8(ascii: "$") }
    }

    static func isLoopback(_ host: String) -> Bool {
        var v4 = in_addr()
        if inet_pton(AF_INET, host, &v4) == 1 { return UInt32(bigEndian: v4.s_addr) >> 24 == 127 }
        var v6 = in6_addr()
        if inet_pton(AF_INET6, host, &v6) == 1 { return host == "::1" || normalized(host) == "::1" }
        return host == "localhost"
    }

    /// The canonical text of an address (so `2001:db8::1` and `2001:DB8:0::1` compare equal).
    static func normalized(_ address: String) -> String {
        var v6 = in6_addr()
        guard inet_pton(AF_INET6, address, &v6) == 1 else { return address }
        var buffer = [CChar](repeating: 0, count: Int(INET6_ADDRSTRLEN))
        guard inet_ntop(AF_INET6, &v6, &buffer, socklen_t(buffer.count)) != nil else { return address }
        return String(decoding: buffer.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
    }
}
