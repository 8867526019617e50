import Testing

@testable import Election

@Suite struct ConfigTests {
    @Test func defaultsFollowGoCluster() throws {
        let config = ElectionConfig(nodeId: "node-1")
        #expect(config.leaseTTL == .seconds(10))
        #expect(config.heartbeatInterval == .seconds(3))
        #expect(config.safetyMargin == .seconds(1))
        try config.validate()
    }

    @Test func shortTTLGetsAFloorOnTheMargin() throws {
        let config = ElectionConfig(nodeId: "n", leaseTTL: .seconds(1), heartbeatInterval: .milliseconds(250))
        #expect(config.safetyMargin == .milliseconds(200))
        try config.validate()
    }

    @Test func heartbeatMustLeaveRoomForTwoRenewals() {
        let config = ElectionConfig(nodeId: "n", leaseTTL: .seconds(10), heartbeatInterval: .seconds(5))
        #expect(throws: ElectionConfigError.self) { try config.validate() }
        do {
            try config.validate()
        } catch {
            #expect(error.code == .heartbeatTooSlow)
            #expect(error.description.contains("heartbeatInterval"))
        }
    }

    @Test func rejectsBadNodeIdsAndTinyTTLs() {
        for id in ["", "a.b", "has space", "*", String(repeating: "x", count: 65)] {
            #expect(throws: ElectionConfigError.self) { try ElectionConfig(nodeId: id).validate() }
        }
        let tiny = ElectionConfig(nodeId: "n", leaseTTL: .milliseconds(50), heartbeatInterval: .milliseconds(10))
        #expect(throws: ElectionConfigError.self) { try tiny.validate() }
        var margin = ElectionConfig(nodeId: "n")
        margin.safetyMargin = .seconds(6)
        #expect(throws: ElectionConfigError.self) { try margin.validate() }
    }

    @Test func rideThroughMatchesTheDocumentedTable() {
        #expect(ElectionTiming.rideThroughOutage(ElectionConfig(nodeId: "n")) == .milliseconds(5750))
        let long = ElectionConfig(nodeId: "n", leaseTTL: .seconds(15), heartbeatInterval: .seconds(3))
        #expect(ElectionTiming.rideThroughOutage(long) == .milliseconds(10250))
    }
}

@Suite struct LeaseRecordTests {
    @Test func roundTripsTheSeedFormat() throws {
        let record = LeaseRecord(nodeId: "node-1", epoch: 42)
        let bytes = record.encoded(stampingWith: "2026-11-27T23:00:00Z")
        let text = String(decoding: bytes, as: UTF8.self)
        #expect(text == #"{"acquired_at":"2026-11-27T23:00:00Z","epoch":42,"node_id":"node-1"}"#)
        #expect(LeaseRecord(bytes: bytes) == LeaseRecord(nodeId: "node-1", epoch: 42, acquiredAt: "2026-11-27T23:00:00Z"))
    }

    @Test func garbageIsAForeignLeaseNeverACrash() {
        let samples: [String] = [
            "", "not json", "{", "[]", "null", "42", #"{"node_id":"a"}"#, #"{"node_id":1,"epoch":2,"acquired_at":"x"}"#,
            #"{"node_id":"a","epoch":"2","acquired_at":"x"}"#, #"{"node_id":"a","epoch":-1,"acquired_at":"x"}"#,
            #"{"node_id":"","epoch":3,"acquired_at":"x"}"#, #"{"node_id":"a","epoch":0,"acquired_at":"x"}"#,
            #"{"node_id":"a","epoch":1e99,"acquired_at":"x"}"#, #"{"node_id":"a","epoch":3}"#,
        ]
        for sample in samples {
            #expect(LeaseValue(bytes: Array(sample.utf8)) == .garbage, "\(sample)")
        }
        #expect(LeaseValue(bytes: [0xFF, 0xFE, 0x00, 0x7B]) == .garbage)
        let valid = #"{"node_id":"a","epoch":3,"acquired_at":"x","extra":true}"#
        #expect(LeaseValue(bytes: Array(valid.utf8)).record?.epoch == 3)
    }

    @Test func aLeaseWhoseEpochIsAboveItsRevisionIsForged() {
        let forged = LeaseRecord(nodeId: "n1", epoch: 1000).encoded(stampingWith: "2026-11-28T00:00:00Z")
        #expect(LeaseValue(bytes: forged, revision: 12) == .garbage)
        #expect(LeaseValue(bytes: forged, revision: 1000).record?.epoch == 1000)
        #expect(LeaseValue(bytes: forged, revision: 1001).record?.nodeId == "n1")
    }
}
