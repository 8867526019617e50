import Foundation
import Testing

@testable import Cluster

@Suite("Names and subjects match go-cluster")
struct ClusterNamesTests {
    let config = ClusterConfig(clusterId: "my-cluster", nodeId: "node-1", natsURLs: ["nats://localhost:4222"])

    @Test("bucket, service and KV keys")
    func bucketServiceKeys() {
        #expect(config.bucketName == "KV_CLUSTER_my-cluster")
        #expect(ClusterConfig.bucketName(clusterId: "myapp") == "KV_CLUSTER_myapp")
        #expect(config.serviceName == "cluster_my-cluster")
        #expect(ClusterConfig.leaderKey == "leader")
        #expect(ClusterConfig.cooldownKey(nodeId: "node-2") == "cooldown.node-2")
        #expect(config.cooldownKey == "cooldown.node-1")
    }

    @Test("the README's subjects")
    func subjects() {
        #expect(
            ClusterConfig.statusSubject(clusterId: "my-cluster", nodeId: "node-1") == "cluster_my-cluster.status.node-1"
        )
        #expect(
            ClusterConfig.pingSubject(clusterId: "my-cluster", nodeId: "node-1") == "cluster_my-cluster.ping.node-1"
        )
        #expect(
            ClusterConfig.stepdownSubject(clusterId: "my-cluster", nodeId: "node-1")
                == "cluster_my-cluster.control.node-1.stepdown"
        )
        #expect(
            ClusterConfig.transferSubject(clusterId: "my-cluster", nodeId: "node-1")
                == "cluster_my-cluster.control.node-1.transfer"
        )
        #expect(config.pingSubject == "cluster_my-cluster.ping.node-1")
        #expect(config.statusSubject == "cluster_my-cluster.status.node-1")
        #expect(config.stepdownSubject == "cluster_my-cluster.control.node-1.stepdown")
        #expect(config.transferSubject == "cluster_my-cluster.control.node-1.transfer")
    }

    @Test("the README's authorization patterns cover every subject")
    func authorizationPatterns() {
        let app = ClusterConfig(clusterId: "myapp", nodeId: "node-1", natsURLs: ["nats://a:1"])
        // $KV.<bucket>.<key> is the KV API's subject for a key.
        #expect(matches("$KV.KV_CLUSTER_myapp.>", "$KV.\(app.bucketName).\(ClusterConfig.leaderKey)"))
        #expect(matches("$KV.KV_CLUSTER_myapp.>", "$KV.\(app.bucketName).\(app.cooldownKey)"))
        for subject in [app.statusSubject, app.pingSubject, app.stepdownSubject, app.transferSubject] {
            #expect(matches("cluster_myapp.>", subject))
        }
        #expect(matches("cluster_myapp.*.node-1", app.statusSubject))
        #expect(matches("cluster_myapp.*.node-1", app.pingSubject))
        #expect(matches("cluster_myapp.status.>", app.statusSubject))
        #expect(!matches("cluster_myapp.status.>", app.stepdownSubject))
    }

    @Test("a default configuration validates and produces its election configuration")
    func validDefault() throws {
        try config.validate()
        try config.electionConfig.validate()
        #expect(config.electionConfig.nodeId == "node-1")
    }

    @Test("did-you-mean distances")
    func nearMiss() {
        #expect(ConfigReader.editDistance("kitten", "sitting") == 3)
        #expect(ConfigReader.nearMiss(of: "LEASETTLMS", among: ["leaseTtlMs"]) == "leaseTtlMs")
        #expect(ConfigReader.nearMiss(of: "port", among: ["leaseTtlMs", "heartbeatIntervalMs"]) == nil)
    }

    @Test("a later layer can add keys to the same objects before finish()")
    func extensibleReader() throws {
        let json = minimal(#""election": {"leaseTtlMs": 10000, "priority": 3}, "vips": ["10.0.0.1/24"]"#)
        let root = try ConfigReader(json: Data(json.utf8))
        let config = try ClusterConfig(reading: root, hostName: "h")
        #expect(try root.object("election")?.integer("priority") == 3)
        #expect(try root.strings("vips") == ["10.0.0.1/24"])
        try root.finish()
        try config.validate()
        // Without the extra layer the same document is rejected: the root's keys first, then nested ones.
        #expect(loadError(json)?.path == "vips")
        #expect(loadError(minimal(#""election": {"priority": 3}"#))?.path == "election.priority")
    }

    /// NATS subject matching: `*` one token, `>` one or more trailing tokens.
    private func matches(_ pattern: String, _ subject: String) -> Bool {
        let p = pattern.split(separator: ".", omittingEmptySubsequences: false)
        let s = subject.split(separator: ".", omittingEmptySubsequences: false)
        for (index, token) in p.enumerated() {
            if token == ">" { return s.count > index }
            guard index < s.count, token == "*" || token == s[index] else { return false }
        }
        return p.count == s.count
    }
}
