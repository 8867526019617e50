import Cluster
import Foundation
import Logging
import Synchronization

/// Log lines on stderr in a form journald understands: under systemd (`JOURNAL_STREAM` set) each line
/// starts with its syslog priority (`<3>`, `<4>`, `<6>`, `<7>`) and carries no timestamp (the journal adds
/// one); elsewhere lines start with an RFC 3339 time and the level's name.
public struct AgentLogHandler: LogHandler {
    public var logLevel: Logger.Level
    public var metadata: Logger.Metadata = [:]
    let label: String

    /// Whether stderr goes to the journal.
    static let toJournal = ProcessInfo.processInfo.environment["JOURNAL_STREAM"] != nil
    static let lock = Mutex(())

    /// A handler for `label` at `level`.
    public init(label: String, level: Logger.Level) {
        self.label = label
        self.logLevel = level
    }

    /// Routes every `Logger` of the process (the NATS client's included) through this handler.
    public static func bootstrap(level: Logger.Level) {
        LoggingSystem.bootstrap { label in AgentLogHandler(label: label, level: level) }
    }

    public subscript(metadataKey key: String) -> Logger.Metadata.Value? {
        get { metadata[key] }
        set { metadata[key] = newValue }
    }

    public func log(event: LogEvent) {
        var all = metadata
        if let extra = event.metadata { all.merge(extra) { $1 } }
        let context = all.isEmpty ? "" : " " + all.sorted { $0.key < $1.key }.map { "\($0.key)=\($0.value)" }.joined(separator: " ")
        Self.write(event.level, "\(event.message)\(context)", label: label)
    }

    /// Writes one line (newlines in `message` become spaces, so one event is one journal entry).
    public static func write(_ level: Logger.Level, _ message: String, label: String = "swift-cluster") {
        let text = message.replacingOccurrences(of: "\n", with: " ")
        let line: String
        if toJournal {
            line = "<\(priority(level))>\(label == "swift-cluster" ? "" : "[\(label)] ")\(text)\n"
        } else {
            let time = Timestamp.logPrefix()
            line = "\(time) \(level.rawValue.uppercased()) \(label == "swift-cluster" ? "" : "[\(label)] ")\(text)\n"
        }
        lock.withLock { _ in FileHandle.standardError.write(Data(line.utf8)) }
    }

    /// syslog priorities (sd-daemon.h `SD_ERR` …).
    static func priority(_ level: Logger.Level) -> Int {
        switch level {
        case .critical: 2
        case .error: 3
        case .warning: 4
        case .notice: 5
        case .info: 6
        case .debug, .trace: 7
        }
    }
}
