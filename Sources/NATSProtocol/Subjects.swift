/// Subject rules: dot-separated non-empty tokens, no whitespace; `*` and a trailing `>` are wildcards
/// that only subscriptions may use.
public enum Subject {
    /// Whether `subject` may be published to (no wildcards, no empty tokens, no whitespace).
    public static func isValidForPublish(_ subject: String) -> Bool {
        validate(subject, allowWildcards: false)
    }

    /// Whether `subject` may be subscribed to (`*` as a whole token, `>` as the last token).
    public static func isValidForSubscribe(_ subject: String) -> Bool {
        validate(subject, allowWildcards: true)
    }

    /// Whether `name` may be a queue group name (no whitespace, not empty).
    public static func isValidQueueGroup(_ name: String) -> Bool {
        !name.isEmpty && !name.utf8.contains { $0 <= 32 || $0 == 127 }
    }

    private static func validate(_ subject: String, allowWildcards: Bool) -> Bool {
        guard !subject.isEmpty else { return false }
        let tokens = subject.utf8.split(separator: UInt8(ascii: "."), omittingEmptySubsequences: false)
        for (index, token) in tokens.enumerated() {
            if token.isEmpty { return false }
            if token.contains(where: { $0 <= 32 || $0 == 127 }) { return false }
            let isStar = token.elementsEqual("*".utf8)
            let isTail = token.elementsEqual(">".utf8)
            if isStar || isTail {
                if !allowWildcards { return false }
                if isTail && index != tokens.count - 1 { return false }
            }
        }
        return true
    }
}
