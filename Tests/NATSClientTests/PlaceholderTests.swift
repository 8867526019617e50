import Testing
@testable import NATSClient

@Test func moduleLoads() { #expect(Bool(true)) }
