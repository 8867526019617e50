import Testing
@testable import JetStream

@Test func moduleLoads() { #expect(Bool(true)) }
