import Foundation
import Testing

@testable import Cluster

@Suite("Configuration errors name the key")
struct ClusterConfigErrorTests {
    @Test("a near-miss key is unknown, with the right key suggested")
    func unknownKeyWithSuggestion() throws {
        let json = seedExample.replacingOccurrences(of: "\"leaseTtlMs\"", with: "\"leaseTTLMs\"")
        let error = try #require(loadError(json))
        #expect(error.code == .unknownKey)
        #expect(error.path == "election.leaseTTLMs")
        #expect(error.suggestion == "leaseTtlMs")
        #expect(error.description == "election.leaseTTLMs: unknown key, did you mean leaseTtlMs?")
        #expect(error.exitStatus == 78)
    }

    @Test(
        "typos within a small edit distance are suggested",
        arguments: [
            (#""clusterID": "x""#, "clusterID", "clusterId"),
            (#""nats": {"servers": ["nats://h:1"], "reconectWaitMs": 5}"#, "nats.reconectWaitMs", "reconnectWaitMs"),
            (#""election": {"heartbeatIntervalMS": 5}"#, "election.heartbeatIntervalMS", "heartbeatIntervalMs"),
            (#""servce": {}"#, "servce", "service"),
        ]
    )
    func typoSuggestions(extra: String, path: String, suggestion: String) throws {
        let json = extra.hasPrefix(#""nats""#) ? #"{"clusterId": "c1", \#(extra)}"# : minimal(extra)
        let error = try #require(loadError(json))
        #expect(error.code == .unknownKey)
        #expect(error.path == path)
        #expect(error.suggestion == suggestion)
    }

    @Test("an unknown key far from every known key gets no suggestion")
    func unknownKeyWithoutSuggestion() throws {
        let error = try #require(loadError(minimal(#""priority": 5"#)))
        #expect(error.description == "priority: unknown key")
        #expect(error.suggestion == nil)
    }

    @Test(
        "a wrong type names the path and the expected type",
        arguments: [
            (#""election": {"leaseTtlMs": "10000"}"#, "election.leaseTtlMs", "expected an integer, found a string"),
            (
                #""election": {"heartbeatIntervalMs": 2.5}"#, "election.heartbeatIntervalMs",
                "expected an integer, found a number"
            ),
            (
                #""vip": {"address": "10.0.0.1", "netmask": true, "interface": "eth0"}"#, "vip.netmask",
                "expected an integer, found a boolean"
            ),
            (#""nodeId": 7"#, "nodeId", "expected a string, found an integer"),
            (#""service": "1.0.0""#, "service", "expected an object, found a string"),
        ]
    )
    func wrongType(extra: String, path: String, message: String) throws {
        let error = try #require(loadError(minimal(extra)))
        #expect(error.code == .wrongType)
        #expect(error.path == path)
        #expect(error.message == message)
    }

    @Test("a wrong type inside an array names the element")
    func wrongElementType() throws {
        let error = try #require(loadError(#"{"clusterId": "c1", "nats": {"servers": ["nats://a:1", 4222]}}"#))
        #expect(error.description == "nats.servers[1]: expected a string, found an integer")
        let notArray = try #require(loadError(#"{"clusterId": "c1", "nats": {"servers": "nats://a:1"}}"#))
        #expect(notArray.description == "nats.servers: expected an array of strings, found a string")
    }

    @Test("missing required keys are named")
    func missingKeys() throws {
        let noCluster = try #require(loadError(#"{"nats": {"servers": ["nats://a:1"]}}"#))
        #expect(noCluster.code == .missingKey)
        #expect(noCluster.path == "clusterId")
        let noNATS = try #require(loadError(#"{"clusterId": "c1"}"#))
        #expect(noNATS.code == .missingKey)
        #expect(noNATS.path == "nats.servers")
        let noInterface = try #require(loadError(minimal(#""vip": {"address": "10.0.0.1"}"#)))
        #expect(noInterface.path == "vip.interface")
        let noAddress = try #require(loadError(minimal(#""vip": {"interface": "eth0", "netmask": 24}"#)))
        #expect(noAddress.path == "vip.address")
    }

    @Test("malformed JSON and a non-object root are errors")
    func malformed() throws {
        let broken = try #require(loadError(#"{"clusterId": "c1",,}"#))
        #expect(broken.code == .malformedJSON)
        let array = try #require(loadError("[1, 2]"))
        #expect(array.code == .wrongType)
        #expect(array.message.contains("JSON object"))
    }

    @Test(
        "netmask out of range for the family",
        arguments: [
            (#""vip": {"address": "10.0.0.1", "netmask": 33, "interface": "eth0"}"#, "between 0 and 32"),
            (#""vip": {"address": "fd00::1", "netmask": 129, "interface": "eth0"}"#, "between 0 and 128"),
            (#""vip": {"address": "10.0.0.1", "netmask": -1, "interface": "eth0"}"#, "between 0 and 128"),
        ]
    )
    func badNetmask(extra: String, expected: String) throws {
        let error = try #require(loadError(minimal(extra)))
        #expect(error.code == .invalidValue)
        #expect(error.path == "vip.netmask")
        #expect(error.message.contains(expected))
    }

    @Test("a VIP address that is not an IP and a bad interface name are named")
    func badVIP() throws {
        let address = try #require(loadError(minimal(#""vip": {"address": "10.0.0.256", "interface": "eth0"}"#)))
        #expect(address.path == "vip.address")
        let interface = try #require(
            loadError(minimal(#""vip": {"address": "10.0.0.1", "interface": "a-very-long-interface-name"}"#))
        )
        #expect(interface.path == "vip.interface")
    }

    @Test(
        "bad server URLs are named by index",
        arguments: [
            "http://a:4222", "nats://:4222", "nats://a:0", "nats://a:99999", "nats://a:4222/path", "nats://a b:1",
        ]
    )
    func badURL(url: String) throws {
        let json = #"{"clusterId": "c1", "nats": {"servers": ["nats://ok:4222", "\#(url)"]}}"#
        let error = try #require(loadError(json))
        #expect(error.code == .invalidValue)
        #expect(error.path == "nats.servers[1]")
        #expect(error.message.hasPrefix("\"\(url)\": "))
    }

    @Test("an empty server list is an error")
    func emptyServers() throws {
        let error = try #require(loadError(#"{"clusterId": "c1", "nats": {"servers": []}}"#))
        #expect(error.path == "nats.servers")
    }

    @Test("a heartbeat that leaves no room for renewals inside the TTL is named")
    func heartbeatTooLong() throws {
        let error = try #require(loadError(minimal(#""election": {"leaseTtlMs": 10000, "heartbeatIntervalMs": 5000}"#)))
        #expect(error.code == .invalidValue)
        #expect(error.path == "election.heartbeatIntervalMs")
        #expect(error.message.contains("room for 2 renewals"))
    }

    @Test("a TTL below the NATS minimum and a zero duration are named")
    func badDurations() throws {
        let shortTTL = try #require(loadError(minimal(#""election": {"leaseTtlMs": 50, "heartbeatIntervalMs": 10}"#)))
        #expect(shortTTL.path == "election.leaseTtlMs")
        let zero = try #require(loadError(minimal(#""election": {"heartbeatIntervalMs": 0}"#)))
        #expect(zero.path == "election.heartbeatIntervalMs")
        #expect(zero.code == .invalidValue)
        let reconnect = try #require(
            loadError(#"{"clusterId": "c1", "nats": {"servers": ["nats://a:1"], "reconnectWaitMs": 0}}"#)
        )
        #expect(reconnect.path == "nats.reconnectWaitMs")
        let attempts = try #require(
            loadError(#"{"clusterId": "c1", "nats": {"servers": ["nats://a:1"], "maxReconnects": -2}}"#)
        )
        #expect(attempts.path == "nats.maxReconnects")
    }

    @Test(
        "identifiers must be usable in subjects, bucket names and keys",
        arguments: [
            (#""clusterId": """#, "clusterId", "must not be empty"),
            (#""clusterId": "my.cluster""#, "clusterId", "may contain only"),
            (#""clusterId": "a*b""#, "clusterId", "may contain only"),
            (#""clusterId": "a b""#, "clusterId", "may contain only"),
            (#""nodeId": """#, "nodeId", "must not be empty"),
            (#""nodeId": "node>1""#, "nodeId", "may contain only"),
            (#""nodeId": "web-1.example.com""#, "nodeId", "may contain only"),
        ]
    )
    func invalidIdentifiers(member: String, path: String, message: String) throws {
        let json =
            member.hasPrefix(#""clusterId""#)
            ? #"{\#(member), "nats": {"servers": ["nats://a:1"]}}"#
            : minimal(member)
        let error = try #require(loadError(json))
        #expect(error.code == .invalidValue)
        #expect(error.path == path)
        #expect(error.message.contains(message))
    }

    @Test("a service version that is not semantic is named")
    func badVersion() throws {
        let error = try #require(loadError(minimal(#""service": {"version": "v1"}"#)))
        #expect(error.path == "service.version")
        #expect(
            try ClusterConfig(json: Data(minimal(#""service": {"version": "2.1.0-rc.1+b5"}"#).utf8)).serviceVersion
                == "2.1.0-rc.1+b5"
        )
    }
}
