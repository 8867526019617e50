import Foundation
import Testing

@testable import NKeys

@Suite struct CredentialsTests {
    static let jwt = "eyJ0eXAiOiJKV1QiLCJhbGciOiJlZDI1NTE5LW5rZXkifQ.eyJzdWIiOiJVIn0.c2lnbmF0dXJl-_x"
    static let seed = NKeyPairTests.userSeed

    static let nscText = """
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

    @Test func parsesNscLayout() throws {
        let creds = try Credentials(parsing: Self.nscText)
        #expect(creds.jwt == Self.jwt)
        #expect(creds.seed == Self.seed)
        #expect(try creds.keyPair().publicKey == NKeyPairTests.userPublic)
    }

    @Test func parsesCRLFAndIndentation() throws {
        let crlf = Self.nscText.replacingOccurrences(of: "\n", with: "\r\n")
        #expect(try Credentials(parsing: crlf) == Credentials(jwt: Self.jwt, seed: Self.seed))
        let indented = Self.nscText.split(separator: "\n").map { "  \($0)  " }.joined(separator: "\n")
        #expect(try Credentials(parsing: indented) == Credentials(jwt: Self.jwt, seed: Self.seed))
    }

    @Test func fileTextRoundTripsAndReadsFromDisk() throws {
        let creds = Credentials(jwt: Self.jwt, seed: Self.seed)
        #expect(try Credentials(parsing: creds.fileText) == creds)
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("nk-\(UUID().uuidString).creds").path
        try creds.fileText.write(toFile: path, atomically: true, encoding: .utf8)
        defer { try? FileManager.default.removeItem(atPath: path) }
        #expect(try Credentials(contentsOfFile: path) == creds)
    }

    @Test func seedFallsBackToBareLine() throws {
        let text = "-----BEGIN NATS USER JWT-----\n\(Self.jwt)\n------END NATS USER JWT------\n\n\(Self.seed)\n"
        #expect(try Credentials(parsing: text).seed == Self.seed)
    }

    @Test func missingBlocksAreNamed() throws {
        let noJWT = try #require(throws: NKeyError.self) { try Credentials(parsing: "hello\nworld\n") }
        #expect(noJWT.code == .missingJWT)
        let onlyJWT = "-----BEGIN NATS USER JWT-----\n\(Self.jwt)\n------END NATS USER JWT------\n"
        let noSeed = try #require(throws: NKeyError.self) { try Credentials(parsing: onlyJWT) }
        #expect(noSeed.code == .missingSeed)
        #expect(noSeed.description.contains("SEED"))
        let notJWT = "-----BEGIN NATS USER JWT-----\nnotajwt\n------END NATS USER JWT------\n"
        let malformed = try #require(throws: NKeyError.self) { try Credentials(parsing: notJWT) }
        #expect(malformed.code == .malformedJWT)
        #expect(throws: NKeyError.self) { try Credentials(parsing: "") }
    }

    @Test func unreadableFileIsReported() throws {
        let error = try #require(throws: NKeyError.self) {
            try Credentials(contentsOfFile: "/nonexistent/\(UUID().uuidString).creds")
        }
        #expect(error.code == .unreadableFile)
    }

    @Test func badSeedInCredsFailsAtKeyPair() throws {
        let text = Self.nscText.replacingOccurrences(of: Self.seed, with: "SUAAAAAAAAAA")
        let creds = try Credentials(parsing: text)
        #expect(throws: NKeyError.self) { try creds.keyPair() }
    }
}
