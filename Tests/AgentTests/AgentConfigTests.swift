import Agent
import Cluster
import Foundation
import Testing

@Suite struct AgentConfigTests {
    func parse(_ text: String) throws(ConfigError) -> AgentConfig {
        try AgentConfig(json: Data(text.utf8), hostName: "host-a")
    }

    func error(_ text: String) -> ConfigError? {
        do {
            _ = try parse(text)
            return nil
        } catch { return error }
    }

    @Test func theSeedsFileIsAValidAgentConfig() throws {
        let config = try parse(#"""
            { "clusterId": "my-cluster", "nodeId": "node-1",
              "nats": { "servers": ["nats://localhost:4222"], "credentials": "", "reconnectWaitMs": 2000, "maxReconnects": -1 },
              "vip": { "address": "192.168.1.100", "netmask": 24, "interface": "eth0" },
              "election": { "leaseTtlMs": 10000, "heartbeatIntervalMs": 3000 },
              "service": { "version": "1.0.0" } }
            """#)
        #expect(config.vips == [VIPConfig(address: "192.168.1.100", netmask: 24, interface: "eth0")])
        #expect(config.announce == AnnounceConfig())
        #expect(config.healthChecks.isEmpty && config.notify.isEmpty && config.metricsListen == nil)
        #expect(config.requiredInterfaces == ["eth0"])
    }

    @Test func everyAgentKeyIsRead() throws {
        let config = try parse(#"""
            { "clusterId": "c", "nats": { "servers": ["tls://n:4222"], "nkeySeedFile": "/etc/sc/seed", "bucketReplicas": 3,
                "tls": { "ca": "/etc/sc/ca.pem", "cert": "/etc/sc/c.pem", "key": "/etc/sc/k.pem" } },
              "vip": { "address": "198.18.0.100", "interface": "eth0" },
              "vips": [ { "address": "2001:db8:18::100", "interface": "eth1" } ],
              "announce": { "count": 5, "intervalMs": 20, "refreshMs": 30000 },
              "user": "swift-cluster",
              "notify": { "master": "/bin/m", "backup": "/bin/b", "fault": "/bin/f", "timeoutMs": 500 },
              "healthChecks": [ { "name": "web", "command": ["/bin/true"], "intervalMs": 500, "timeoutMs": 200, "fall": 2, "rise": 4 } ],
              "trackInterfaces": ["eth2", "eth0"],
              "metrics": { "listen": "127.0.0.1:9464" } }
            """#)
        #expect(config.cluster.nodeId == "host-a")
        #expect(config.vips.map(\.cidr) == ["198.18.0.100/24", "2001:db8:18::100/64"])
        #expect(config.announce.count == 5 && config.announce.interval == .milliseconds(20))
        #expect(config.announce.refresh == .seconds(30))
        #expect(config.user == "swift-cluster")
        #expect(config.tls == TLSFiles(ca: "/etc/sc/ca.pem", cert: "/etc/sc/c.pem", key: "/etc/sc/k.pem"))
        #expect(config.nkeySeedFile == "/etc/sc/seed")
        #expect(config.bucketReplicas == 3)
        #expect(config.notify.master == "/bin/m" && config.notify.timeout == .milliseconds(500))
        var check = HealthCheckConfig(name: "web", command: ["/bin/true"])
        (check.interval, check.timeout, check.fall, check.rise) = (.milliseconds(500), .milliseconds(200), 2, 4)
        #expect(config.healthChecks == [check])
        #expect(config.requiredInterfaces == ["eth0", "eth1", "eth2"])
        #expect(config.metricsListen == ListenAddress(host: "127.0.0.1", port: 9464))
    }

    @Test(arguments: [
        (#""vips": [ { "address": "198.18.0.300", "interface": "eth0" } ]"#, "vips[0].address", "not an IPv4 or IPv6"),
        (#""vips": [ { "adress": "198.18.0.3", "interface": "eth0" } ]"#, "vips[0].adress", "did you mean address"),
        (#""vips": [ { "address": "198.18.0.3" } ]"#, "vips[0].interface", "required"),
        (#""vips": [ { "address": "198.18.0.3", "netmask": 33, "interface": "e" } ]"#, "vips[0].netmask", "0 and 32"),
        (#""vips": [ "198.18.0.3" ]"#, "vips[0]", "expected an object"),
        (#""vips": [ { "address": "198.18.0.100", "interface": "eth9" } ]"#, "vips[0].address", "already configured at vip"),
        (#""announce": { "count": 1000 }"#, "announce.count", "between 0 and 100"),
        (#""nats": { "servers": ["nats://n:4222"], "bucketReplicas": 7 }"#, "nats.bucketReplicas", "between 1 and 5"),
        (#""announce": { "intervalMS": 10 }"#, "announce.intervalMS", "did you mean intervalMs"),
        (#""user": 7"#, "user", "expected a string"),
        (#""user": "-root""#, "user", "not a valid user name"),
        (#""notify": { "master": "notify.sh" }"#, "notify.master", "absolute path"),
        (#""notify": { "timeoutMs": 0 }"#, "notify.timeoutMs", "between 1"),
        (#""healthChecks": [ { "name": "x", "command": [] } ]"#, "healthChecks[0].command", "executable"),
        (#""healthChecks": [ { "name": "x", "command": ["curl"] } ]"#, "healthChecks[0].command[0]", "absolute path"),
        (#""healthChecks": [ { "command": ["/bin/true"] } ]"#, "healthChecks[0].name", "missing"),
        (#""healthChecks": [ { "name": "x", "command": ["/bin/true"], "fall": 0 } ]"#, "healthChecks[0].fall", "between 1"),
        (#""healthChecks": [ { "name": "x", "command": ["/bin/true"], "intervalMs": 500, "timeoutMs": 900 } ]"#,
            "healthChecks[0].timeoutMs", "must not exceed"),
        (#""healthChecks": [ { "name": "x", "command": ["/bin/true"] }, { "name": "x", "command": ["/bin/true"] } ]"#,
            "healthChecks[1].name", "used twice"),
        (#""trackInterfaces": ["eth0", "this-name-is-too-long"]"#, "trackInterfaces[1]", "not a valid interface name"),
        (#""metrics": { "listen": "0.0.0.0:9464" }"#, "metrics.listen", "not a loopback"),
        (#""metrics": { "listen": "127.0.0.1" }"#, "metrics.listen", "host:port"),
        (#""nats": { "servers": ["nats://n:4222"], "tls": { "cert": "/c.pem" } }"#, "nats.tls.key", "go together"),
        (#""nats": { "servers": ["nats://n:4222"], "tls": { "ca": "ca.pem" } }"#, "nats.tls.ca", "absolute"),
        (#""nats": { "servers": ["nats://n:4222"], "credentials": "/c", "nkeySeedFile": "/s" }"#, "nats.nkeySeedFile", "not both"),
        (#""election": { "leaseTTLMs": 10000 }"#, "election.leaseTTLMs", "did you mean leaseTtlMs"),
    ])
    func badValuesNameTheirKey(fragment: String, path: String, message: String) throws {
        let base = #"{ "clusterId": "c", "vip": { "address": "198.18.0.100", "interface": "eth0" }"#
        let nats = fragment.hasPrefix(#""nats""#) ? "" : #", "nats": { "servers": ["nats://n:4222"] }"#
        let failure = try #require(error(base + nats + ", " + fragment + " }"), "accepted: \(fragment)")
        #expect(failure.path == path, "\(failure)")
        #expect(failure.description.contains(message), "\(failure)")
        #expect(failure.exitStatus == 78)
    }

    @Test func ipv6LoopbackMetricsAndAddressSpellingsAreHandled() throws {
        let base = #"{ "clusterId": "c", "nats": { "servers": ["nats://n:4222"] }, "#
        let config = try parse(base + #""metrics": { "listen": "[::1]:0" } }"#)
        #expect(config.metricsListen == ListenAddress(host: "::1", port: 0))
        let duplicate = error(base + #""vips": [ { "address": "2001:db8:18::100", "interface": "a" }, { "address": "2001:DB8:18:0::100", "interface": "b" } ] }"#)
        #expect(duplicate?.path == "vips[1].address")
    }
}
