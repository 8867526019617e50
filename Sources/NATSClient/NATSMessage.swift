import Foundation
@_exported import struct NIOCore.ByteBuffer
@_exported import NATSProtocol

/// A message received on a subscription or as a reply.
public typealias NATSMessage = InboundMessage

extension InboundMessage {
    /// The payload as UTF-8 text (invalid sequences are repaired).
    public var string: String { String(buffer: payload) }
    /// The payload bytes.
    public var bytes: [UInt8] { Array(payload.readableBytesView) }
    /// The payload as `Data`.
    public var data: Data { Data(payload.readableBytesView) }
    /// The header status code, if the message carries a status line.
    public var status: UInt16? { headers?.status }
    /// A status-only reply saying nobody listens on the request subject.
    public var isNoResponders: Bool { headers?.status == 503 && payload.readableBytes == 0 }
}

extension ByteBuffer {
    /// A buffer holding `bytes`.
    public init(bytes: some Sequence<UInt8>) {
        self.init()
        writeBytes(bytes)
    }
}
