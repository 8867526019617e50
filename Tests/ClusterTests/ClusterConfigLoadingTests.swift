import Foundation
import Testing

@testable import Cluster

/// The seed README's example `config.json`, verbatim.
let seedExample = """
    {
      "clusterId": "my-cluster",
      "nodeId": "node-1",
      "nats": {
        "servers": ["nats://localhost:4222"],
        "credentials": "",
        "reconnectWaitMs": 2000,
        "maxReconnects": -1
      },
      "vip": {
        "address": "192.168.1.100",
        "netmask": 24,
        "interface": "eth0"
      },
      "election": {
        "leaseTtlMs": 10000,
        "heartbeatIntervalMs": 3000
      },
      "service": {
        "version": "1.0.0"
      }
    }
    """

/// Loads `json`, expecting a ``ConfigError``, and returns it.
func loadError(_ json: String, sourceLocation: SourceLocation = #_sourceLocation) -> ConfigError? {
    do {
        let config = try ClusterConfig(json: Data(json.utf8), hostName: "host-a")
        Issue.record("expected an error, loaded \(config)", sourceLocation: sourceLocation)
        return nil
    } catch {
        return error
    }
}

/// A minimal valid document with `extra` spliced in at the top level.
func minimal(_ extra: String = "") -> String {
    #"{"clusterId": "c1", "nats": {"servers": ["nats://127.0.0.1:4222"]}\#(extra.isEmpty ? "" : ", " + extra)}"#
}

@Suite("Loading the seed's JSON format")
struct ClusterConfigLoadingTests {
    @Test("the README's example loads with its values")
    func seedExampleLoads() throws {
        let config = try ClusterConfig(json: Data(seedExample.utf8))
        #expect(config.clusterId == "my-cluster")
        #expect(config.nodeId == "node-1")
        #expect(config.natsURLs == ["nats://localhost:4222"])
        #expect(config.natsCredentials == nil)
        #expect(config.reconnectWait == .milliseconds(2000))
        #expect(config.maxReconnects == -1)
        #expect(config.vip == VIPConfig(address: "192.168.1.100", netmask: 24, interface: "eth0"))
        #expect(config.leaseTTL == .seconds(10))
        #expect(config.heartbeatInterval == .seconds(3))
        #expect(config.serviceVersion == "1.0.0")
        #expect(config.electionConfig.nodeId == "node-1")
        #expect(config.electionConfig.leaseTTL == .seconds(10))
        #expect(config.electionConfig.heartbeatInterval == .seconds(3))
    }

    @Test("the README's example loads from a file")
    func loadsFromFile() throws {
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("cluster-\(UUID()).json").path
        try Data(seedExample.utf8).write(to: URL(fileURLWithPath: path))
        defer { try? FileManager.default.removeItem(atPath: path) }
        let config = try ClusterConfig.load(fromFile: path)
        #expect(config.bucketName == "KV_CLUSTER_my-cluster")
    }

    @Test("a missing file is an unreadable-config error")
    func missingFile() {
        #expect {
            _ = try ClusterConfig.load(fromFile: "/nonexistent/cluster-\(UUID()).json")
        } throws: { error in
            (error as? ConfigError)?.code == .unreadable && (error as? ConfigError)?.exitStatus == 78
        }
    }

    @Test("absent keys take go-cluster's defaults; an absent nodeId is the host name")
    func defaults() throws {
        let config = try ClusterConfig(json: Data(minimal().utf8), hostName: "host-a")
        #expect(config == ClusterConfig(clusterId: "c1", nodeId: "host-a", natsURLs: ["nats://127.0.0.1:4222"]))
        #expect(config.leaseTTL == .seconds(10))
        #expect(config.heartbeatInterval == .seconds(3))
        #expect(config.reconnectWait == .seconds(2))
        #expect(config.maxReconnects == -1)
        #expect(config.serviceVersion == "1.0.0")
        #expect(config.natsCredentials == nil)
        #expect(config.vip == nil)
    }

    @Test("the default node id is this host's short name")
    func systemHostNameIsShort() throws {
        let name = ClusterConfig.systemHostName()
        #expect(!name.isEmpty)
        #expect(!name.contains("."))
        let config = try ClusterConfig(reading: ConfigReader(json: Data(minimal().utf8)))
        #expect(config.nodeId == name)
    }

    @Test("empty objects and null values count as absent")
    func emptyObjects() throws {
        let json = minimal(#""vip": {}, "election": {}, "service": {}, "nodeId": null"#)
        let config = try ClusterConfig(json: Data(json.utf8), hostName: "host-a")
        #expect(config.vip == nil)
        #expect(config.nodeId == "host-a")
        #expect(config.leaseTTL == .seconds(10))
    }

    @Test("an absent netmask is 24 for IPv4 and 64 for IPv6; IPv6 takes up to 128")
    func netmaskDefaults() throws {
        let v4 = try ClusterConfig(json: Data(minimal(#""vip": {"address": "10.0.0.1", "interface": "eth0"}"#).utf8))
        #expect(v4.vip?.netmask == 24)
        let v6 = try ClusterConfig(json: Data(minimal(#""vip": {"address": "fd00::1", "interface": "eth0"}"#).utf8))
        #expect(v6.vip?.netmask == 64)
        let v6full = try ClusterConfig(
            json: Data(minimal(#""vip": {"address": "fd00::1", "netmask": 128, "interface": "eth0"}"#).utf8)
        )
        #expect(v6full.vip?.cidr == "fd00::1/128")
    }

    @Test("credentials and servers are kept as written")
    func credentialsAndServers() throws {
        let json = #"""
            {"clusterId": "c1", "nats": {"servers": ["tls://a.example:4443", "nats://u:p@[::1]:4222", "b:4222"],
             "credentials": "/etc/nats/c.creds", "reconnectWaitMs": 250, "maxReconnects": 0}}
            """#
        let config = try ClusterConfig(json: Data(json.utf8), hostName: "h")
        #expect(config.natsURLs.count == 3)
        #expect(config.natsCredentials == "/etc/nats/c.creds")
        #expect(config.reconnectWait == .milliseconds(250))
        #expect(config.maxReconnects == 0)
    }

    @Test("go-cluster init's empty vip object means no VIP")
    func goClusterInitEmptyVIP() throws {
        let text = #"{"clusterId": "c", "nodeId": "n", "nats": {"servers": ["nats://localhost:4222"], "credentials": ""}, "vip": {"address": "", "netmask": 24, "interface": ""}, "election": {"leaseTtlMs": 10000, "heartbeatIntervalMs": 3000}}"#
        let config = try ClusterConfig(json: Data(text.utf8), hostName: "h")
        #expect(config.vip == nil)
    }
}
