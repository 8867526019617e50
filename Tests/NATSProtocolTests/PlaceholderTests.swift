import Testing
@testable import NATSProtocol

@Test func moduleLoads() { #expect(Bool(true)) }
