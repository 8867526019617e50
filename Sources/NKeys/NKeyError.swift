/// An error raised while decoding NKEY text, signing material or a `.creds` file.
///
/// Every error carries a ``Code`` to match on and a human-readable ``detail`` that names the
/// offending input (never the secret itself).
public struct NKeyError: Error, Sendable, Hashable, CustomStringConvertible {
    /// The kind of failure. New codes may be added; match with `==`, not an exhaustive switch.
    public struct Code: Sendable, Hashable, CustomStringConvertible {
        private let name: String
        private init(_ name: String) { self.name = name }

        /// The text contains a character outside the RFC 4648 base32 alphabet, or trailing bits are set.
        public static let invalidBase32 = Code("invalidBase32")
        /// The text contains a character outside the base64url alphabet, or has an impossible length.
        public static let invalidBase64 = Code("invalidBase64")
        /// The decoded key has the wrong number of bytes.
        public static let invalidLength = Code("invalidLength")
        /// The CRC-16 stored at the end of the key does not match its contents.
        public static let invalidChecksum = Code("invalidChecksum")
        /// The prefix byte(s) do not name a known key type, or name a different type than expected.
        public static let invalidPrefix = Code("invalidPrefix")
        /// The text is a public key where a seed was expected (or the other way round).
        public static let notASeed = Code("notASeed")
        /// The seed bytes were rejected by the Ed25519 implementation.
        public static let invalidSeed = Code("invalidSeed")
        /// A `.creds` file lacks its JWT block.
        public static let missingJWT = Code("missingJWT")
        /// A `.creds` file lacks its NKEY seed block.
        public static let missingSeed = Code("missingSeed")
        /// A JWT is not made of three base64url segments.
        public static let malformedJWT = Code("malformedJWT")
        /// A file could not be read.
        public static let unreadableFile = Code("unreadableFile")

        /// The code's name, e.g. `invalidChecksum`.
        public var description: String { name }
    }

    /// What went wrong.
    public var code: Code
    /// Context for a log line, e.g. which block or which byte was wrong.
    public var detail: String

    /// Creates an error.
    /// - Parameters:
    ///   - code: The kind of failure.
    ///   - detail: Context for the reader; must not contain secret material.
    public init(_ code: Code, _ detail: String) {
        self.code = code
        self.detail = detail
    }

    /// `"nkeys: <code>: <detail>"`.
    public var description: String { "nkeys: \(code): \(detail)" }
}
