/// Checks of names, versions and subjects the micro protocol (ADR-32) requires.
enum Validation {
    /// `^[A-Za-z0-9_-]+$`: service and endpoint names.
    static func isValidName(_ name: String) -> Bool {
        !name.isEmpty && name.utf8.allSatisfy { isAlphanumeric($0) || $0 == UInt8(ascii: "_") || $0 == UInt8(ascii: "-") }
    }

    /// SemVer 2.0: the grammar of the regular expression semver.org suggests, written out as a small parser.
    static func isValidSemVer(_ version: String) -> Bool {
        var rest = Substring(version)
        var build: Substring?
        if let plus = rest.firstIndex(of: "+") {
            build = rest[rest.index(after: plus)...]
            rest = rest[..<plus]
        }
        var prerelease: Substring?
        if let dash = rest.firstIndex(of: "-") {
            prerelease = rest[rest.index(after: dash)...]
            rest = rest[..<dash]
        }
        let core = rest.split(separator: ".", omittingEmptySubsequences: false)
        guard core.count == 3, core.allSatisfy(isNumericIdentifier) else { return false }
        if let prerelease {
            let parts = prerelease.split(separator: ".", omittingEmptySubsequences: false)
            guard parts.allSatisfy({ isNumericIdentifier($0) || isAlphanumericIdentifier($0) }) else { return false }
        }
        if let build {
            let parts = build.split(separator: ".", omittingEmptySubsequences: false)
            guard parts.allSatisfy({ !$0.isEmpty && $0.utf8.allSatisfy(isIdentifierByte) }) else { return false }
        }
        return true
    }

    /// A subscribable subject: non-empty tokens without whitespace, wildcards only as whole tokens, `>` last.
    static func isValidEndpointSubject(_ subject: String) -> Bool {
        let tokens = subject.split(separator: ".", omittingEmptySubsequences: false)
        for (index, token) in tokens.enumerated() {
            guard !token.isEmpty, !token.contains(where: \.isWhitespace) else { return false }
            if token == ">" && index != tokens.count - 1 { return false }
            if token.count > 1 && (token.contains(">") || token.contains("*")) { return false }
        }
        return !subject.isEmpty
    }

    /// A queue group name: non-empty, no whitespace, no wildcards.
    static func isValidQueueGroup(_ group: String) -> Bool {
        !group.isEmpty && !group.contains(where: { $0.isWhitespace || $0 == "*" || $0 == ">" })
    }

    /// `0|[1-9]\d*`
    private static func isNumericIdentifier(_ part: Substring) -> Bool {
        guard let first = part.utf8.first, part.utf8.allSatisfy(isDigit) else { return false }
        return first != UInt8(ascii: "0") || part.utf8.count == 1
    }

    /// `\d*[a-zA-Z-][0-9a-zA-Z-]*`
    private static func isAlphanumericIdentifier(_ part: Substring) -> Bool {
        !part.isEmpty && part.utf8.allSatisfy(isIdentifierByte) && !part.utf8.allSatisfy(isDigit)
    }

    private static func isIdentifierByte(_ byte: UInt8) -> Bool {
        isAlphanumeric(byte) || byte == UInt8(ascii: "-")
    }

    private static func isDigit(_ byte: UInt8) -> Bool {
        byte >= UInt8(ascii: "0") && byte <= UInt8(ascii: "9")
    }

    private static func isAlphanumeric(_ byte: UInt8) -> Bool {
        isDigit(byte) || (byte >= UInt8(ascii: "a") && byte <= UInt8(ascii: "z"))
            || (byte >= UInt8(ascii: "A") && byte <= UInt8(ascii: "Z"))
    }
}
