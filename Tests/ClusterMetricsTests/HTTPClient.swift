import NIOCore
import NIOPosix

/// A raw HTTP/1.1 exchange over NIO: writes `request` as is and collects every byte until the server closes.
func rawExchange(port: Int, host: String = "127.0.0.1", request: String) async throws -> String {
    let channel = try await ClientBootstrap(group: MultiThreadedEventLoopGroup.singleton)
        .connect(host: host, port: port) { channel in
            channel.eventLoop.makeCompletedFuture {
                try NIOAsyncChannel<ByteBuffer, ByteBuffer>(wrappingChannelSynchronously: channel)
            }
        }
    return try await channel.executeThenClose { inbound, outbound in
        try await outbound.write(ByteBuffer(string: request))
        var text = ""
        for try await chunk in inbound { text += String(buffer: chunk) }
        return text
    }
}

/// One parsed response: status code, lower-cased header names, body.
struct Response {
    var status: Int
    var headers: [String: String]
    var body: String

    /// Splits a byte stream holding responses with Content-Length into the responses.
    static func parseAll(_ text: String) -> [Response] {
        var rest = Substring(text)
        var responses: [Response] = []
        while let end = rest.firstRange(of: "\r\n\r\n") {
            let lines = rest[..<end.lowerBound].split(separator: "\r\n", omittingEmptySubsequences: false)
            let status = lines.first.flatMap { Int($0.split(separator: " ")[1]) } ?? 0
            var headers: [String: String] = [:]
            for line in lines.dropFirst() {
                guard let colon = line.firstIndex(of: ":") else { continue }
                headers[line[..<colon].lowercased()] = line[line.index(after: colon)...].trimmingSpaces
            }
            let length = Int(headers["content-length"] ?? "0") ?? 0
            let bodyStart = end.upperBound
            let bodyEnd = rest.utf8.index(bodyStart, offsetBy: length)
            responses.append(Response(status: status, headers: headers, body: String(rest[bodyStart..<bodyEnd])))
            rest = rest[bodyEnd...]
        }
        return responses
    }
}

extension Substring {
    fileprivate var trimmingSpaces: String { String(drop { $0 == " " }) }
}
