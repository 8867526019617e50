import Foundation
import NATSClient
import Testing

/// A server that speaks garbage gets a clear protocol error, never a crash or a hang.
@Suite struct GarbageTests {
    @Test func garbageDuringTheHandshakeFailsTheConnect() async throws {
        let fake = try FakeServer(script: [.send("INFO {\"max_payload\":1024}\r\n"), .receive, .send("HELLO THERE\r\n")])
        var options = NATSOptions(servers: ["nats://127.0.0.1:\(fake.port)"])
        options.connectTimeout = .seconds(2)
        await #expect { _ = try await NATSConnection.connect(options) } throws: {
            ($0 as? NATSError)?.code == .protocolError || "\($0)".contains("protocol")
        }
        fake.finish()
    }

    @Test func garbageAfterTheHandshakeDropsTheConnectionWithAProtocolError() async throws {
        let fake = try FakeServer(script: [
            .send("INFO {\"max_payload\":1024}\r\n"), .receive, .send("PONG\r\n"), .pause(0.2),
            .send("MSG foo 1 notanumber\r\n"),
        ])
        var options = NATSOptions(servers: ["nats://127.0.0.1:\(fake.port)"])
        options.reconnectWait = .seconds(30)
        let nc = try await NATSConnection.connect(options)
        let events = EventLog(nc.events())
        try await poll("disconnected with a protocol error") {
            events.contains { event in
                if case .disconnected(let error) = event { return error?.code == .protocolError }
                return false
            }
        }
        await nc.close()
        fake.finish()
    }

    @Test func silentServerTimesOutTheHandshake() async throws {
        let fake = try FakeServer(script: [.pause(1)])
        var options = NATSOptions(servers: ["nats://127.0.0.1:\(fake.port)"])
        options.connectTimeout = .milliseconds(300)
        let clock = ContinuousClock()
        let start = clock.now
        await #expect { _ = try await NATSConnection.connect(options) } throws: { _ in true }
        #expect(clock.now - start < .seconds(3))
        fake.finish()
    }
}

/// A one-connection TCP server on loopback that follows a script, on its own thread.
final class FakeServer: @unchecked Sendable {
    enum Step: Sendable {
        case send(String)
        case receive
        case pause(Double)
    }

    let port: Int
    private let listener: Int32
    private let done = DispatchSemaphore(value: 0)

    init(script: [Step]) throws {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        var yes: Int32 = 1
        setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &yes, socklen_t(MemoryLayout<Int32>.size))
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        _ = withUnsafePointer(to: &address) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, length) } }
        _ = withUnsafeMutablePointer(to: &address) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(fd, $0, &length) } }
        listen(fd, 4)
        listener = fd
        port = Int(UInt16(bigEndian: address.sin_port))
        let done = self.done
        Thread.detachNewThread {
            let client = accept(fd, nil, nil)
            guard client >= 0 else { done.signal(); return }
            for step in script {
                switch step {
                case .send(let text): _ = text.withCString { send(client, $0, strlen($0), Int32(MSG_NOSIGNAL)) }
                case .receive:
                    var buffer = [UInt8](repeating: 0, count: 4096)
                    _ = recv(client, &buffer, buffer.count, 0)
                case .pause(let seconds): Thread.sleep(forTimeInterval: seconds)
                }
            }
            Thread.sleep(forTimeInterval: 0.5)
            close(client)
            done.signal()
        }
    }

    func finish() {
        shutdown(listener, Int32(SHUT_RDWR))
        close(listener)
        _ = done.wait(timeout: .now() + 10)
    }
}
