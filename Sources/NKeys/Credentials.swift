import Foundation

/// A NATS `.creds` file: a user JWT and the user's NKEY seed, each in a dash-armoured block.
///
/// Parsing follows `nkeys: creds_utils.go`: a block is a line of 3+ dashes, text and 3+ dashes,
/// then one line of `[A-Za-z0-9_.=-]`, then another dashed line. The first block is the JWT and
/// the second the seed (falling back to any line starting with `SU`, `SA` or `SO`). CRLF is accepted.
public struct Credentials: Sendable, Hashable {
    /// The user JWT (`header.payload.signature`, base64url).
    public var jwt: String
    /// The user's NKEY seed (`SU...`). Secret: never log it.
    public var seed: String

    /// Creates credentials from their parts.
    /// - Parameters:
    ///   - jwt: The user JWT.
    ///   - seed: The NKEY seed.
    public init(jwt: String, seed: String) {
        self.jwt = jwt
        self.seed = seed
    }

    /// Parses the text of a `.creds` file.
    /// - Parameter text: The file contents.
    /// - Throws: ``NKeyError`` with ``NKeyError/Code/missingJWT``, ``NKeyError/Code/malformedJWT``
    ///   or ``NKeyError/Code/missingSeed``.
    public init(parsing text: String) throws(NKeyError) {
        let lines = text.split(omittingEmptySubsequences: false, whereSeparator: { $0 == "\n" || $0 == "\r\n" })
            .map { $0.trimmingCharacters(in: .whitespaces.union(CharacterSet(charactersIn: "\r"))) }
        let blocks = Self.armouredBlocks(in: lines)
        guard let jwt = blocks.first else {
            throw NKeyError(.missingJWT, "no '-----BEGIN NATS USER JWT-----' block found in the creds text")
        }
        guard jwt.split(separator: ".", omittingEmptySubsequences: false).count == 3 else {
            throw NKeyError(.malformedJWT, "the first creds block is not a JWT (expected 3 dot-separated parts)")
        }
        let fallback = lines.first { $0.hasPrefix("SU") || $0.hasPrefix("SA") || $0.hasPrefix("SO") }
        guard let seed = blocks.dropFirst().first ?? fallback else {
            throw NKeyError(.missingSeed, "no '-----BEGIN USER NKEY SEED-----' block found in the creds text")
        }
        self.init(jwt: jwt, seed: seed)
    }

    /// Reads and parses a `.creds` file.
    /// - Parameter path: The file's path.
    /// - Throws: ``NKeyError`` with ``NKeyError/Code/unreadableFile`` or any parsing error.
    public init(contentsOfFile path: String) throws(NKeyError) {
        let text: String
        do {
            text = try String(contentsOfFile: path, encoding: .utf8)
        } catch {
            throw NKeyError(.unreadableFile, "cannot read creds file \(path): \(error.localizedDescription)")
        }
        try self.init(parsing: text)
    }

    /// The key pair made from ``seed``.
    /// - Throws: ``NKeyError`` if the seed is malformed.
    public func keyPair() throws(NKeyError) -> NKeyPair {
        try NKeyPair(seed: seed)
    }

    /// The file text in the layout `nsc` writes.
    public var fileText: String {
        """
        -----BEGIN NATS USER JWT-----
        \(jwt)
        ------END NATS USER JWT------

        ************************* IMPORTANT *************************
        NKEY Seed printed below can be used to sign and prove identity.
        NKEYs are sensitive and should be treated as secrets.

        -----BEGIN USER NKEY SEED-----
        \(seed)
        ------END USER NKEY SEED------

        *************************************************************

        """
    }

    /// Finds every `dashes / token / dashes` triple, in order, and returns the tokens.
    private static func armouredBlocks(in lines: [String]) -> [String] {
        var found: [String] = []
        var index = 0
        while index + 2 < lines.count {
            if isDashLine(lines[index]), isTokenLine(lines[index + 1]), isDashLine(lines[index + 2]) {
                found.append(lines[index + 1])
                index += 3
            } else {
                index += 1
            }
        }
        return found
    }

    private static func isDashLine(_ line: String) -> Bool {
        line.count >= 6 && line.hasPrefix("---") && line.hasSuffix("---")
    }

    private static func isTokenLine(_ line: String) -> Bool {
        !line.isEmpty
            && line.unicodeScalars.allSatisfy { scalar in
                switch scalar {
                case "A"..."Z", "a"..."z", "0"..."9", "_", ".", "=", "-": true
                default: false
                }
            }
    }
}
