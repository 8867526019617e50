import Foundation
import NATSClient
import NATSTestSupport
import NKeys
import Testing

/// Every authentication method and TLS, each with a success and a rejection.
@Suite struct AuthTests {
    @Test func userAndPassword() async throws {
        let server = try await TestServer.start(
            extraConfig: #"authorization { users = [ { user: "alice", password: "s3cret" } ] }"#)
        defer { server.stop() }
        let viaURL = try await NATSConnection.connect(
            NATSOptions(servers: ["nats://alice:s3cret@127.0.0.1:\(server.port)"]))
        try await viaURL.flush()
        await viaURL.close()
        var options = NATSOptions(servers: [server.url])
        options.user = "alice"
        options.password = "s3cret"
        let viaOptions = try await NATSConnection.connect(options)
        try await viaOptions.flush()
        await viaOptions.close()
        options.password = "wrong"
        await #expect { _ = try await NATSConnection.connect(options) } throws: {
            ($0 as? NATSError)?.code == .authorizationViolation
        }
    }

    @Test func token() async throws {
        let server = try await TestServer.start(extraConfig: #"authorization { token: "t0ken" }"#)
        defer { server.stop() }
        let viaURL = try await NATSConnection.connect(NATSOptions(servers: ["nats://t0ken@127.0.0.1:\(server.port)"]))
        try await viaURL.flush()
        await viaURL.close()
        var options = NATSOptions(servers: [server.url])
        options.token = "nope"
        await #expect { _ = try await NATSConnection.connect(options) } throws: {
            ($0 as? NATSError)?.code == .authorizationViolation
        }
    }

    @Test func nkeySeed() async throws {
        let user = NKeyPair.generate(.user)
        let stranger = NKeyPair.generate(.user)
        let server = try await TestServer.start(
            extraConfig: "authorization { users = [ { nkey: \"\(user.publicKey)\" } ] }")
        defer { server.stop() }
        var options = NATSOptions(servers: [server.url])
        options.nkeySeed = user.seed
        let nc = try await NATSConnection.connect(options)
        #expect(nc.serverInfo?.nonce != nil)
        try await nc.flush()
        await nc.close()
        options.nkeySeed = stranger.seed
        await #expect { _ = try await NATSConnection.connect(options) } throws: {
            ($0 as? NATSError)?.code == .authorizationViolation
        }
        options.nkeySeed = "SUNOTASEED"
        await #expect { _ = try await NATSConnection.connect(options) } throws: {
            ($0 as? NATSError)?.code == .credentials
        }
    }

    /// Decentralised auth: an operator/account/user JWT chain made in the test, a `.creds` file.
    @Test func jwtCredentialsFile() async throws {
        let authority = try TestAuthority()
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("creds-\(UUID().uuidString)").path
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let server = try await TestServer.start(extraConfig: authority.serverConfig)
        defer { server.stop() }
        var options = NATSOptions(servers: [server.url])
        options.credentialsFile = try authority.writeCreds(in: directory)
        let nc = try await NATSConnection.connect(options)
        let sub = try nc.subscribe(to: "jwt")
        try await nc.publish("signed in", to: "jwt")
        var it = sub.makeAsyncIterator()
        #expect(await it.next()?.string == "signed in")
        await nc.close()

        // A user signed by an account the server does not know is refused.
        let stranger = try TestAuthority()
        options.credentialsFile = try stranger.writeCreds(in: directory, fileName: "stranger.creds")
        await #expect { _ = try await NATSConnection.connect(options) } throws: {
            ($0 as? NATSError)?.code == .authorizationViolation
        }
        options.credentialsFile = directory + "/missing.creds"
        await #expect { _ = try await NATSConnection.connect(options) } throws: {
            ($0 as? NATSError)?.code == .credentials && "\($0)".contains("missing.creds")
        }
    }

    @Test func tlsWithCAAndClientCertificate() async throws {
        let pki = try TestPKI.generate()
        defer { pki.remove() }
        let server = try await TestServer.start(options: NATSServer.Options(tls: .init(pki: pki, verify: true)))
        defer { server.stop() }
        var options = NATSOptions(servers: ["tls://127.0.0.1:\(server.port)"])
        options.tls = TLSOptions(caFile: pki.caFile, certificateFile: pki.clientCertFile, keyFile: pki.clientKeyFile)
        let nc = try await NATSConnection.connect(options)
        #expect(nc.serverInfo?.tlsRequired == true)
        let sub = try nc.subscribe(to: "secure")
        try await nc.publish("over tls", to: "secure")
        var it = sub.makeAsyncIterator()
        #expect(await it.next()?.string == "over tls")
        await nc.close()

        // Without our CA the server's certificate is not trusted.
        var untrusted = NATSOptions(servers: [server.url])
        untrusted.tls = TLSOptions(certificateFile: pki.clientCertFile, keyFile: pki.clientKeyFile)
        await #expect { _ = try await NATSConnection.connect(untrusted) } throws: { _ in true }

        // Without a client certificate a verifying server refuses us.
        var anonymous = NATSOptions(servers: [server.url])
        anonymous.tls = TLSOptions(caFile: pki.caFile)
        await #expect { _ = try await NATSConnection.connect(anonymous) } throws: { _ in true }
    }

    /// A server with `tls {}` requires TLS; a plain `nats://` URL upgrades because INFO says `tls_required`.
    @Test func tlsRequiredByServerUpgradesPlainURL() async throws {
        let pki = try TestPKI.generate()
        defer { pki.remove() }
        let server = try await TestServer.start(options: NATSServer.Options(tls: .init(pki: pki)))
        defer { server.stop() }
        var options = NATSOptions(servers: [server.url])
        options.tls = TLSOptions(caFile: pki.caFile, required: false)
        let nc = try await NATSConnection.connect(options)
        try await nc.flush()
        await nc.close()
    }

    @Test func missingTLSFilesAreAClearError() async throws {
        let server = try await TestServer.start()
        defer { server.stop() }
        var options = NATSOptions(servers: ["tls://127.0.0.1:\(server.port)"])
        options.tls = TLSOptions(caFile: "/nonexistent/ca.pem")
        await #expect { _ = try await NATSConnection.connect(options) } throws: { error in
            "\(error)".contains("/nonexistent/ca.pem") || (error as? NATSError)?.code == .tls
                || (error as? NATSError)?.code == .noServers
        }
    }
}
