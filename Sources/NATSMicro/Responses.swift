import Foundation

/// The `$SRV.PING` reply (`io.nats.micro.v1.ping_response`).
public struct PingResponse: Codable, Sendable, Equatable {
    public static let responseType = "io.nats.micro.v1.ping_response"
    /// The schema name, `io.nats.micro.v1.ping_response`.
    public var type: String = PingResponse.responseType
    /// The service name.
    public var name: String
    /// The instance id.
    public var id: String
    /// The SemVer version.
    public var version: String
    /// The service metadata.
    public var metadata: [String: String]
}

/// The `$SRV.INFO` reply (`io.nats.micro.v1.info_response`).
public struct InfoResponse: Codable, Sendable, Equatable {
    public static let responseType = "io.nats.micro.v1.info_response"
    /// The schema name, `io.nats.micro.v1.info_response`.
    public var type: String = InfoResponse.responseType
    /// The service name.
    public var name: String
    /// The instance id.
    public var id: String
    /// The SemVer version.
    public var version: String
    /// Always present (possibly empty): `nats micro ls` skips replies without it.
    public var description: String
    /// The service metadata.
    public var metadata: [String: String]
    /// Every endpoint, in the order they were added.
    public var endpoints: [EndpointInfo]
}

/// One endpoint as `$SRV.INFO` describes it.
public struct EndpointInfo: Codable, Sendable, Equatable {
    /// The endpoint name.
    public var name: String
    /// The subject it serves (group prefixes included).
    public var subject: String
    /// `nil` (left out of the JSON) when the endpoint uses a plain subscription.
    public var queueGroup: String?
    /// The endpoint metadata (`{}` when none).
    public var metadata: [String: String]

    enum CodingKeys: String, CodingKey {
        case name, subject, metadata
        case queueGroup = "queue_group"
    }
}

/// The `$SRV.STATS` reply (`io.nats.micro.v1.stats_response`).
public struct StatsResponse: Codable, Sendable, Equatable {
    public static let responseType = "io.nats.micro.v1.stats_response"
    /// The schema name, `io.nats.micro.v1.stats_response`.
    public var type: String = StatsResponse.responseType
    /// The service name.
    public var name: String
    /// The instance id.
    public var id: String
    /// The SemVer version.
    public var version: String
    /// The service metadata.
    public var metadata: [String: String]
    /// RFC 3339 UTC time the service started, e.g. `2026-11-27T20:24:27.697Z`.
    public var started: String
    /// Counters of every endpoint.
    public var endpoints: [EndpointStats]
}

/// Counters of one endpoint. Times are integer nanoseconds.
public struct EndpointStats: Codable, Sendable, Equatable {
    /// The endpoint name.
    public var name: String
    /// The subject it serves.
    public var subject: String
    /// Its queue group, `nil` for a plain subscription.
    public var queueGroup: String?
    /// Requests handled (answered or not).
    public var numRequests: Int
    /// Requests answered with an error, or whose handler threw.
    public var numErrors: Int
    /// `"<code>:<description>"` of the latest error, `""` when there was none.
    public var lastError: String
    /// Total handler time in nanoseconds.
    public var processingTime: Int64
    /// `processingTime / numRequests` in nanoseconds (0 before the first request).
    public var averageProcessingTime: Int64
    /// What ``ServiceConfig/statsHandler`` returned; left out of the JSON when `nil`.
    public var data: [String: JSONValue]?

    enum CodingKeys: String, CodingKey {
        case name, subject
        case queueGroup = "queue_group"
        case numRequests = "num_requests"
        case numErrors = "num_errors"
        case lastError = "last_error"
        case processingTime = "processing_time"
        case averageProcessingTime = "average_processing_time"
        case data
    }
}

extension Date {
    /// RFC 3339 in UTC with milliseconds, the form Go and Python services send.
    var rfc3339: String {
        let formatter = ISO8601DateFormatter()
        formatter.formatOptions = [.withInternetDateTime, .withFractionalSeconds]
        formatter.timeZone = TimeZone(identifier: "UTC")
        return formatter.string(from: self)
    }
}
