import Foundation
import NATSProtocol
import NIOSSL
import NKeys

extension ConnectionCore {
    /// Builds the CONNECT JSON for `url`: user/password, token, NKEY or JWT signature of the nonce.
    func connectJSON(info: ServerInfo, url: ServerURL, tls: Bool) throws -> String {
        var connect = ConnectInfo()
        connect.name = options.name
        connect.echo = options.echo
        connect.tlsRequired = tls
        if let user = options.user ?? (url.password != nil ? url.user : nil) {
            connect.user = user
            connect.pass = options.password ?? url.password
        } else if let token = options.token ?? url.token {
            connect.authToken = token
        }
        if let path = options.credentialsFile {
            let credentials: Credentials
            do { credentials = try Credentials(contentsOfFile: path) } catch {
                throw NATSError(.credentials, "credentials file \(path): \(error)")
            }
            connect.jwt = credentials.jwt
            if let nonce = info.nonce { connect.sig = try sign(nonce, seed: credentials.seed, what: path) }
        } else if let seed = options.nkeySeed {
            let pair: NKeyPair
            do { pair = try NKeyPair(seed: seed) } catch {
                throw NATSError(.credentials, "NKEY seed: \(error)")
            }
            connect.nkey = pair.publicKey
            if let nonce = info.nonce { connect.sig = Self.base64URL(pair.sign(Array(nonce.utf8))) }
        }
        do {
            let data = try JSONEncoder().encode(connect)
            return String(decoding: data, as: UTF8.self)
        } catch {
            throw NATSError(.protocolError, "cannot encode CONNECT: \(error)")
        }
    }

    private func sign(_ nonce: String, seed: String, what: String) throws -> String {
        do {
            let pair = try NKeyPair(seed: seed)
            return Self.base64URL(pair.sign(Array(nonce.utf8)))
        } catch {
            throw NATSError(.credentials, "seed in \(what): \(error)")
        }
    }

    static func base64URL(_ bytes: [UInt8]) -> String {
        Data(bytes).base64EncodedString()
            .replacingOccurrences(of: "+", with: "-")
            .replacingOccurrences(of: "/", with: "_")
            .replacingOccurrences(of: "=", with: "")
    }

    // MARK: TLS

    /// TLS is used for `tls://` URLs, when the options require it, or when the server does.
    func needsTLS(url: ServerURL, info: ServerInfo) -> Bool {
        url.wantsTLS || options.tls?.required == true || info.tlsRequired == true
    }

    func makeTLSHandler(host: String) throws -> NIOSSLClientHandler {
        let context = try tlsContext()
        let isAddress = host.contains(":") || host.allSatisfy { $0.isNumber || $0 == "." }
        let name = options.tls?.serverName ?? (isAddress ? nil : host)
        return try NIOSSLClientHandler(context: context, serverHostname: name)
    }

    private func tlsContext() throws -> NIOSSLContext {
        if let box = withState({ $0.tlsContext }), let context = box.context as? NIOSSLContext { return context }
        var configuration = TLSConfiguration.makeClientConfiguration()
        if let tls = options.tls {
            do {
                if let ca = tls.caFile { configuration.trustRoots = .file(ca) }
                if let cert = tls.certificateFile {
                    configuration.certificateChain = try NIOSSLCertificate.fromPEMFile(cert).map { .certificate($0) }
                }
                if let key = tls.keyFile {
                    configuration.privateKey = .privateKey(try NIOSSLPrivateKey(file: key, format: .pem))
                }
            } catch {
                throw NATSError(.tls, "cannot load TLS files: \(error)")
            }
        }
        let context: NIOSSLContext
        do { context = try NIOSSLContext(configuration: configuration) } catch {
            throw NATSError(.tls, "cannot create the TLS context: \(error)")
        }
        withState { $0.tlsContext = NIOSSLContextBox(context: context) }
        return context
    }
}
