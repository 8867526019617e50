import NIOCore
import NIOHTTP1
import NIOPosix
import Prometheus

/// Why the metrics endpoint could not start.
public struct MetricsServerError: Error, Equatable, Sendable, CustomStringConvertible {
    /// What went wrong, naming the address and what was expected.
    public let description: String

    static func notLoopback(_ host: String) -> Self {
        Self(
            description: "metrics host '\(host)': expected a loopback address (127.0.0.0/8 or ::1); "
                + "the endpoint is unauthenticated and never listens elsewhere"
        )
    }

    static func notAnAddress(_ host: String) -> Self {
        Self(description: "metrics host '\(host)': expected an IP address literal (127.0.0.1 or ::1)")
    }

    static func badPort(_ port: Int) -> Self {
        Self(description: "metrics port \(port): expected 0...65535")
    }
}

/// A Prometheus text endpoint on loopback: `GET /metrics` answers the registry in the text format 0.0.4,
/// other paths 404, other methods 405.
public final class MetricsServer: Sendable {
    /// The content type of the exposition format.
    public static let contentType = "text/plain; version=0.0.4; charset=utf-8"

    private let channel: any Channel
    /// The bound address (with the actual port when started on port 0).
    public let localAddress: SocketAddress

    private init(channel: any Channel, localAddress: SocketAddress) {
        self.channel = channel
        self.localAddress = localAddress
    }

    /// Binds and starts serving.
    /// - Parameters:
    ///   - host: an IP literal in 127.0.0.0/8, or `::1`; anything else is refused.
    ///   - port: the TCP port; 0 picks a free one (see ``localAddress``).
    ///   - registry: the metrics to expose, read anew on each request.
    ///   - group: the event loops to serve on; NIO's shared singleton by default.
    /// - Throws: ``MetricsServerError`` naming the host or port when refused; NIO's errors when binding fails.
    public static func start(
        host: String,
        port: Int,
        registry: PrometheusCollectorRegistry,
        group: any EventLoopGroup = MultiThreadedEventLoopGroup.singleton
    ) async throws
        -> MetricsServer
    {
        let address = try loopbackAddress(host: host, port: port)
        let channel = try await ServerBootstrap(group: group)
            .serverChannelOption(.socketOption(.so_reuseaddr), value: 1)
            .childChannelInitializer { child in
                child.eventLoop.makeCompletedFuture {
                    try child.pipeline.syncOperations.configureHTTPServerPipeline(withErrorHandling: true)
                    try child.pipeline.syncOperations.addHandler(MetricsHTTPHandler(registry: registry))
                }
            }
            .bind(to: address).get()
        guard let local = channel.localAddress else {
            try? await channel.close()
            throw MetricsServerError(description: "metrics endpoint \(address): bound without a local address")
        }
        return MetricsServer(channel: channel, localAddress: local)
    }

    /// Stops listening. Scrapes already accepted finish on their own.
    public func stop() async throws {
        try await channel.close()
    }

    /// The socket address for `host:port`, or an error unless it is loopback (127.0.0.0/8 or ::1).
    static func loopbackAddress(host: String, port: Int) throws(MetricsServerError) -> SocketAddress {
        guard (0...65535).contains(port) else { throw .badPort(port) }
        let address: SocketAddress
        do { address = try SocketAddress(ipAddress: host, port: port) } catch { throw .notAnAddress(host) }
        switch address {
        case .v4(let v4) where UInt32(bigEndian: v4.address.sin_addr.s_addr) >> 24 == 127:
            return address
        case .v6(let v6)
        where withUnsafeBytes(of: v6.address.sin6_addr) { Array($0) } == Array(repeating: 0, count: 15) + [1]:
            return address
        default:
            throw .notLoopback(host)
        }
    }
}

/// Answers one request at a time on its channel's loop; no state beyond the request in flight.
final class MetricsHTTPHandler: ChannelInboundHandler, RemovableChannelHandler {
    typealias InboundIn = HTTPServerRequestPart
    typealias OutboundOut = HTTPServerResponsePart

    private let registry: PrometheusCollectorRegistry
    private var request: HTTPRequestHead?

    init(registry: PrometheusCollectorRegistry) { self.registry = registry }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        switch unwrapInboundIn(data) {
        case .head(let head): request = head
        case .body: break
        case .end:
            guard let head = request else { return }
            request = nil
            respond(to: head, context: context)
        }
    }

    private func respond(to head: HTTPRequestHead, context: ChannelHandlerContext) {
        let path = head.uri.split(separator: "?", maxSplits: 1, omittingEmptySubsequences: false).first ?? ""
        let (status, body, extra): (HTTPResponseStatus, [UInt8], [(String, String)])
        if path != "/metrics" {
            (status, body, extra) = (.notFound, Array("not found: only /metrics is served\n".utf8), [])
        } else if head.method != .GET {
            (status, body, extra) = (.methodNotAllowed, Array("method not allowed: use GET\n".utf8), [("Allow", "GET")])
        } else {
            (status, body, extra) = (.ok, registry.emitToBuffer(), [])
        }
        var headers = HTTPHeaders(extra)
        headers.add(
            name: "Content-Type",
            value: status == .ok ? MetricsServer.contentType : "text/plain; charset=utf-8"
        )
        headers.add(name: "Content-Length", value: String(body.count))
        let response = HTTPResponseHead(version: head.version, status: status, headers: headers)
        context.write(wrapOutboundOut(.head(response)), promise: nil)
        context.write(wrapOutboundOut(.body(.byteBuffer(context.channel.allocator.buffer(bytes: body)))), promise: nil)
        let written = context.writeAndFlush(wrapOutboundOut(.end(nil)))
        if !head.isKeepAlive {
            let channel = context.channel
            written.whenComplete { _ in channel.close(promise: nil) }
        }
    }
}

@available(*, unavailable)
extension MetricsHTTPHandler: Sendable {}
