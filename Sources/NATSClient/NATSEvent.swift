/// Something that happened to the connection, delivered in order through ``NATSConnection/events()``.
public enum NATSEvent: Sendable, CustomStringConvertible {
    /// The first connection succeeded.
    case connected(server: String)
    /// The connection to a server was lost; the client is reconnecting (unless it was closed).
    case disconnected(NATSError?)
    /// A connection was re-established; subscriptions have been re-sent.
    case reconnected(server: String)
    /// The connection is closed for good; no more events follow.
    case closed
    /// The server entered lame duck mode and will shut down soon; the client moves elsewhere.
    case lameDuckMode(server: String)
    /// The server pool changed after the server advertised cluster URLs.
    case serversDiscovered([String])
    /// An asynchronous error: a non-fatal `-ERR`, or a subscription that dropped messages.
    case error(NATSError)

    public var description: String {
        switch self {
        case .connected(let server): "connected to \(server)"
        case .disconnected(let error): "disconnected" + (error.map { ": \($0)" } ?? "")
        case .reconnected(let server): "reconnected to \(server)"
        case .closed: "closed"
        case .lameDuckMode(let server): "server \(server) entered lame duck mode"
        case .serversDiscovered(let urls): "servers discovered: \(urls.joined(separator: ", "))"
        case .error(let error): "error: \(error)"
        }
    }
}
