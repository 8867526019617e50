/// One parsed server address: `[nats|tls]://[user[:pass]@]host[:port]`.
struct ServerURL: Hashable, Sendable, CustomStringConvertible {
    var scheme: String
    var host: String
    var port: Int
    var user: String?
    var password: String?

    /// The token form: a user part without a password.
    var token: String? { password == nil ? user : nil }
    var wantsTLS: Bool { scheme == "tls" }
    /// `host:port`, bracketing IPv6 literals; used to compare with INFO `connect_urls`.
    var hostPort: String { host.contains(":") ? "[\(host)]:\(port)" : "\(host):\(port)" }
    /// The URL without credentials, for logs and events.
    var description: String { "\(scheme)://\(hostPort)" }

    init(_ text: String, defaultScheme: String = "nats") throws(NATSError) {
        var rest = Substring(text.trimmingCharacters(in: .whitespaces))
        if let range = rest.range(of: "://") {
            scheme = rest[..<range.lowerBound].lowercased()
            rest = rest[range.upperBound...]
        } else {
            scheme = defaultScheme
        }
        guard ["nats", "tls"].contains(scheme) else {
            throw NATSError(.invalidURL, "\"\(text)\": scheme must be nats:// or tls://")
        }
        if let slash = rest.firstIndex(of: "/") { rest = rest[..<slash] }
        if let at = rest.lastIndex(of: "@") {
            let userInfo = rest[..<at]
            rest = rest[rest.index(after: at)...]
            if let colon = userInfo.firstIndex(of: ":") {
                user = String(userInfo[..<colon]).removingPercentEncoding
                password = String(userInfo[userInfo.index(after: colon)...]).removingPercentEncoding
            } else {
                user = String(userInfo).removingPercentEncoding
            }
        }
        (host, port) = try Self.hostAndPort(rest, original: text)
    }

    private static func hostAndPort(_ text: Substring, original: String) throws(NATSError) -> (String, Int) {
        var host: Substring
        var portText: Substring?
        if text.hasPrefix("[") {
            guard let close = text.firstIndex(of: "]") else {
                throw NATSError(.invalidURL, "\"\(original)\": unterminated IPv6 address")
            }
            host = text[text.index(after: text.startIndex)..<close]
            let after = text[text.index(after: close)...]
            if after.hasPrefix(":") { portText = after.dropFirst() }
        } else if let colon = text.lastIndex(of: ":") {
            host = text[..<colon]
            portText = text[text.index(after: colon)...]
        } else {
            host = text
        }
        guard !host.isEmpty else { throw NATSError(.invalidURL, "\"\(original)\": no host") }
        var port = 4222
        if let portText {
            guard let value = Int(portText), (1...65535).contains(value) else {
                throw NATSError(.invalidURL, "\"\(original)\": port must be 1-65535, got \"\(portText)\"")
            }
            port = value
        }
        return (String(host), port)
    }
}

import Foundation

/// The servers the client may connect to: the configured ones plus those learned from INFO.
struct ServerPool: Sendable {
    struct Entry: Sendable {
        var url: ServerURL
        var implicit: Bool
        var failedAttempts: Int
    }

    private(set) var entries: [Entry]
    let maxReconnects: Int

    init(urls: [ServerURL], randomize: Bool, maxReconnects: Int) {
        var list = urls.map { Entry(url: $0, implicit: false, failedAttempts: 0) }
        if randomize { list.shuffle() }
        entries = list
        self.maxReconnects = maxReconnects
    }

    var isEmpty: Bool { entries.isEmpty }

    /// The order to try for a reconnect: every server but `current` first, then `current`.
    func reconnectOrder(current: ServerURL?, avoid: ServerURL? = nil) -> [ServerURL] {
        let others = entries.map(\.url).filter { $0 != current && $0 != avoid }
        let tail = [current, avoid].compactMap { $0 }.filter { url in entries.contains { $0.url == url } }
        return others + tail
    }

    mutating func recordSuccess(_ url: ServerURL) {
        if let index = entries.firstIndex(where: { $0.url == url }) { entries[index].failedAttempts = 0 }
    }

    /// Counts a failure; drops the server once it used up ``maxReconnects``.
    mutating func recordFailure(_ url: ServerURL) {
        guard let index = entries.firstIndex(where: { $0.url == url }) else { return }
        entries[index].failedAttempts += 1
        if maxReconnects >= 0 && entries[index].failedAttempts > maxReconnects { entries.remove(at: index) }
    }

    /// Merges INFO `connect_urls`; returns true if the pool changed.
    mutating func merge(connectURLs: [String], current: ServerURL?, tls: Bool) -> Bool {
        var changed = false
        var advertised: [ServerURL] = []
        for text in connectURLs {
            if let url = try? ServerURL(text, defaultScheme: tls ? "tls" : "nats") { advertised.append(url) }
        }
        let advertisedKeys = Set(advertised.map(\.hostPort))
        let before = entries.count
        entries.removeAll { $0.implicit && !advertisedKeys.contains($0.url.hostPort) && $0.url != current }
        changed = entries.count != before
        for url in advertised where !entries.contains(where: { $0.url.hostPort == url.hostPort }) {
            entries.append(Entry(url: url, implicit: true, failedAttempts: 0))
            changed = true
        }
        return changed
    }
}
