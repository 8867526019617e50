import Testing
@testable import NATSMicro

@Test func moduleLoads() { #expect(Bool(true)) }
