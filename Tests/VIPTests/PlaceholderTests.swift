import Testing
@testable import VIP

@Test func moduleLoads() { #expect(Bool(true)) }
