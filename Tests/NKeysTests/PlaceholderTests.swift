import Testing
@testable import NKeys

@Test func moduleLoads() { #expect(Bool(true)) }
