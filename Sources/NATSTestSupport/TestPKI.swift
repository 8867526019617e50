import Foundation

/// A throwaway PKI made with the `openssl` CLI: a self-signed CA, a server certificate for
/// `127.0.0.1`/`localhost`, and a client certificate for `verify: true` servers. EC P-256, valid 2 days.
///
/// ```swift
/// let pki = try TestPKI.generate()
/// let server = try NATSServer(options: .init(tls: .init(pki: pki, verify: true)))
/// // client: trust pki.caFile, present pki.clientCertFile + pki.clientKeyFile
/// ```
public struct TestPKI: Sendable {
    /// The directory holding all files.
    public let directory: String
    /// The CA certificate (PEM): what clients and servers trust.
    public let caFile: String
    /// The CA private key (PEM).
    public let caKeyFile: String
    /// The server certificate (PEM), subjectAltName `IP:127.0.0.1, DNS:localhost`, signed by the CA.
    public let serverCertFile: String
    /// The server private key (PEM, PKCS#8).
    public let serverKeyFile: String
    /// A client certificate (PEM, CN `test-client`, extendedKeyUsage clientAuth), signed by the CA.
    public let clientCertFile: String
    /// The client private key (PEM, PKCS#8).
    public let clientKeyFile: String

    /// The `openssl` binary used (`$OPENSSL_BIN` or `/usr/bin/openssl`).
    public static var openssl: String {
        ProcessInfo.processInfo.environment["OPENSSL_BIN"] ?? "/usr/bin/openssl"
    }

    /// Generates a CA, a server and a client certificate.
    /// - Parameter directory: Where to write the files; default a fresh temporary directory.
    /// - Returns: The file paths.
    /// - Throws: ``TestSupportError`` with `commandFailed` (including openssl's output) or `fileSystem`.
    public static func generate(in directory: String? = nil) throws -> TestPKI {
        let dir =
            directory ?? FileManager.default.temporaryDirectory.path
            + "/nats-pki-\(UUID().uuidString.prefix(8).lowercased())"
        do {
            try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        } catch {
            throw TestSupportError(.fileSystem, "cannot create \(dir): \(error)")
        }
        let pki = TestPKI(
            directory: dir, caFile: dir + "/ca.pem", caKeyFile: dir + "/ca-key.pem",
            serverCertFile: dir + "/server.pem", serverKeyFile: dir + "/server-key.pem",
            clientCertFile: dir + "/client.pem", clientKeyFile: dir + "/client-key.pem"
        )
        try pki.makeCA()
        try pki.makeLeaf(
            name: "server", subject: "/CN=localhost", cert: pki.serverCertFile, key: pki.serverKeyFile,
            extensions: "subjectAltName=IP:127.0.0.1,DNS:localhost\nextendedKeyUsage=serverAuth\n"
        )
        try pki.makeLeaf(
            name: "client", subject: "/CN=test-client", cert: pki.clientCertFile, key: pki.clientKeyFile,
            extensions: "extendedKeyUsage=clientAuth\n"
        )
        return pki
    }

    /// Deletes ``directory``.
    public func remove() {
        try? FileManager.default.removeItem(atPath: directory)
    }

    private func makeCA() throws {
        try Self.run([
            "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes",
            "-keyout", caKeyFile, "-out", caFile, "-days", "2", "-sha256", "-subj", "/CN=swift-cluster test CA",
            "-addext", "basicConstraints=critical,CA:TRUE", "-addext", "keyUsage=critical,keyCertSign,cRLSign",
        ])
    }

    private func makeLeaf(name: String, subject: String, cert: String, key: String, extensions: String) throws {
        let csr = "\(directory)/\(name).csr"
        let extFile = "\(directory)/\(name).ext"
        let ext = "basicConstraints=CA:FALSE\nkeyUsage=critical,digitalSignature,keyEncipherment\n" + extensions
        do {
            try ext.write(toFile: extFile, atomically: true, encoding: .utf8)
        } catch {
            throw TestSupportError(.fileSystem, "cannot write \(extFile): \(error)")
        }
        try Self.run([
            "req", "-new", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes",
            "-keyout", key, "-out", csr, "-subj", subject,
        ])
        let serial = "0x" + UUID().uuidString.replacingOccurrences(of: "-", with: "").prefix(16)
        try Self.run([
            "x509", "-req", "-in", csr, "-CA", caFile, "-CAkey", caKeyFile, "-set_serial", String(serial),
            "-days", "2", "-sha256", "-extfile", extFile, "-out", cert,
        ])
    }

    /// Runs `openssl` with `arguments`, throwing with its output if it fails.
    static func run(_ arguments: [String]) throws {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: openssl)
        process.arguments = arguments
        let output = Pipe()
        process.standardOutput = output
        process.standardError = output
        process.standardInput = FileHandle.nullDevice
        do {
            try process.run()
        } catch {
            throw TestSupportError(.executableNotFound, "cannot run \(openssl): \(error)")
        }
        let text = String(decoding: output.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        process.waitUntilExit()
        guard process.terminationStatus == 0 else {
            throw TestSupportError(.commandFailed, "openssl \(arguments.joined(separator: " ")) failed:\n\(text)")
        }
    }
}
