import Glibc

@testable import SystemdNotify

/// A bound AF_UNIX datagram socket standing in for systemd's notification socket.
final class Receiver {
    let fd: Int32
    /// The NOTIFY_SOCKET value that reaches this receiver.
    let notifySocket: String
    private let path: String?

    /// Binds a filesystem socket in a fresh temporary directory, or an abstract one when `abstract`.
    init(abstract: Bool) throws {
        fd = socket(AF_UNIX, Int32(SOCK_DGRAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0)
        guard fd >= 0 else { throw ReceiverError.call("socket", errno) }
        let unique = "\(getpid())-\(UInt32.random(in: 0...UInt32.max))"
        if abstract {
            notifySocket = "@swift-cluster-notify-test-\(unique)"
            path = nil
        } else {
            var template = Array("/tmp/sdnotify-XXXXXX".utf8CString)
            guard mkdtemp(&template) != nil else { throw ReceiverError.call("mkdtemp", errno) }
            let directory = template.withUnsafeBufferPointer { String(cString: $0.baseAddress!) }
            notifySocket = directory + "/notify"
            path = directory
        }
        let address = try NotifySocketAddress(parsing: notifySocket)
        let rc = address.withSockaddr { bind(fd, $0, $1) }
        guard rc == 0 else { throw ReceiverError.call("bind", errno) }
    }

    /// The next datagram already queued (the notifier's send has returned), or `nil` when none is.
    func receive() -> [UInt8]? {
        var buffer = [UInt8](repeating: 0, count: 4096)
        let n = buffer.withUnsafeMutableBytes { recv(fd, $0.baseAddress, $0.count, Int32(MSG_DONTWAIT)) }
        return n >= 0 ? Array(buffer.prefix(n)) : nil
    }

    func receiveText() -> String? { receive().map { String(decoding: $0, as: UTF8.self) } }

    deinit {
        close(fd)
        if let path {
            unlink(path + "/notify")
            rmdir(path)
        }
    }
}

enum ReceiverError: Error { case call(String, Int32) }
