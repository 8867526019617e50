import Cluster
import NATSClient

extension AgentConfig {
    /// The NATS options the configuration describes: servers, credentials or NKEY seed, TLS, reconnects.
    /// - Parameter clientName: The connection's name as the server shows it.
    /// - Throws: ``DaemonError`` when the NKEY seed file cannot be read.
    public func natsOptions(clientName: String) throws(DaemonError) -> NATSOptions {
        var options = NodeOptions(config: cluster).nats
        options.name = clientName
        options.nkeySeed = try Daemon.readNKeySeed(self)
        if let tls {
            options.tls = TLSOptions(caFile: tls.ca, certificateFile: tls.cert, keyFile: tls.key)
        }
        return options
    }
}
