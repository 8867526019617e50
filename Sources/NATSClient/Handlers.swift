import NATSProtocol
import NIOCore
import NIOSSL

/// Frames the byte stream into ``ServerOp``s with the incremental ``ServerParser``.
struct ServerOpDecoder: NIOSingleStepByteToMessageDecoder {
    typealias InboundOut = ServerOp
    var parser = ServerParser()

    mutating func decode(buffer: inout ByteBuffer) throws -> ServerOp? {
        try parser.next(from: &buffer)
    }

    mutating func decodeLast(buffer: inout ByteBuffer, seenEOF: Bool) throws -> ServerOp? {
        try parser.next(from: &buffer)
    }
}

/// Runs the handshake (INFO → optional TLS → CONNECT + PING → PONG), then answers server PINGs and
/// hands everything else to the connection core. Lives on its channel's event loop; no locks.
final class NATSChannelHandler: ChannelInboundHandler {
    typealias InboundIn = ServerOp
    typealias OutboundOut = ByteBuffer

    private enum Phase {
        case awaitingInfo
        case awaitingPong(ServerInfo)
        case ready
    }

    private let core: ConnectionCore
    private let url: ServerURL
    private let handshake: EventLoopPromise<ServerInfo>
    private var phase = Phase.awaitingInfo

    init(core: ConnectionCore, url: ServerURL, handshake: EventLoopPromise<ServerInfo>) {
        self.core = core
        self.url = url
        self.handshake = handshake
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        let op = unwrapInboundIn(data)
        switch (phase, op) {
        case (_, .ping):
            var buffer = context.channel.allocator.buffer(capacity: 6)
            buffer.writePong()
            context.writeAndFlush(wrapOutboundOut(buffer), promise: nil)
        case (.ready, .message(let message)):
            core.route(message)
        case (.ready, .pong):
            core.pongReceived(on: context.channel)
        case (.ready, .info(let info)):
            core.infoReceived(info, on: context.channel)
        case (.ready, .error(let text)):
            core.serverError(text, on: context.channel)
        case (_, .ok):
            break
        case (.awaitingInfo, .info(let info)):
            startSession(context: context, info: info)
        case (.awaitingPong(let info), .pong):
            phase = .ready
            handshake.succeed(info)
        case (.awaitingPong, .info):
            break
        case (_, .error(let text)):
            fail(context: context, NATSError.fromServer(text))
        default:
            fail(context: context, NATSError(.protocolError, "unexpected \(op) during the handshake"))
        }
    }

    private func startSession(context: ChannelHandlerContext, info: ServerInfo) {
        do {
            let useTLS = core.needsTLS(url: url, info: info)
            if useTLS {
                let tls = try core.makeTLSHandler(host: url.host)
                try context.pipeline.syncOperations.addHandler(tls, position: .first)
            }
            let json = try core.connectJSON(info: info, url: url, tls: useTLS)
            var buffer = context.channel.allocator.buffer(capacity: json.utf8.count + 16)
            buffer.writeConnect(json: json)
            buffer.writePing()
            phase = .awaitingPong(info)
            context.writeAndFlush(wrapOutboundOut(buffer), promise: nil)
        } catch let error as NATSError {
            fail(context: context, error)
        } catch {
            fail(context: context, NATSError(.tls, "\(error)"))
        }
    }

    private func fail(context: ChannelHandlerContext, _ error: NATSError) {
        if case .ready = phase {
            core.recordError(error, on: context.channel)
        } else {
            handshake.fail(error)
        }
        context.close(promise: nil)
    }

    func errorCaught(context: ChannelHandlerContext, error: Error) {
        let natsError: NATSError
        switch error {
        case let error as NATSError: natsError = error
        case let error as NATSProtocolError: natsError = NATSError(.protocolError, error.message)
        case let error as NIOSSLError: natsError = NATSError(.tls, "\(error)")
        case let error as BoringSSLError: natsError = NATSError(.tls, "\(error)")
        default: natsError = NATSError(.io, "\(error)")
        }
        fail(context: context, natsError)
    }

    func channelInactive(context: ChannelHandlerContext) {
        if case .ready = phase {
        } else {
            handshake.fail(NATSError(.disconnected, "connection to \(url) closed during the handshake"))
        }
        context.fireChannelInactive()
    }
}

@available(*, unavailable)
extension NATSChannelHandler: Sendable {}
