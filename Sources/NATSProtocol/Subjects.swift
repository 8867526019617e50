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

    /// One pass over the bytes, no allocation (publishes check every subject).
    private static func validate(_ subject: String, allowWildcards: Bool) -> Bool {
        var tokenLength = 0
        var tokenIsWildcard = false
        var sawTail = false
        for byte in subject.utf8 {
            if sawTail { return false }
            switch byte {
            case UInt8(ascii: "."):
                if tokenLength == 0 { return false }
                tokenLength = 0
                tokenIsWildcard = false
                continue
            case 0...32, 127:
                return false
            case UInt8(ascii: "*"), UInt8(ascii: ">"):
                if !allowWildcards || tokenLength != 0 { return false }
                tokenIsWildcard = true
                sawTail = byte == UInt8(ascii: ">")
            default:
                if tokenIsWildcard { return false }
            }
            tokenLength += 1
        }
        return tokenLength > 0
    }
}
