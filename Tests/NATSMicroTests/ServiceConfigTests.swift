import Foundation
import Testing

@testable import NATSMicro

@Suite struct ServiceConfigTests {
    @Test(arguments: ["1.0.0", "0.0.1", "1.2.3-rc.1", "1.2.3-alpha-beta.0.x", "1.2.3+build.7", "10.20.30-1a+sha.5"])
    func acceptsSemVer(_ version: String) {
        #expect(Validation.isValidSemVer(version))
    }

    @Test(arguments: ["", "1", "1.2", "1.2.3.4", "01.2.3", "1.02.3", "1.2.3-", "1.2.3-01", "1.2.3+", "1.2.3-a..b", "v1.2.3", "1.2.x"])
    func rejectsNonSemVer(_ version: String) {
        #expect(!Validation.isValidSemVer(version))
    }

    @Test func names() {
        #expect(Validation.isValidName("calc_2-x"))
        for bad in ["", "a b", "a.b", "a*", "ä"] { #expect(!Validation.isValidName(bad), "\(bad)") }
    }

    @Test func subjects() {
        for good in ["echo", "math.sum", "a.*.c", "a.>", ">"] { #expect(Validation.isValidEndpointSubject(good), "\(good)") }
        for bad in ["", "a..b", ".a", "a.", "a b", "a.>.b", "a.b*", "a.>x"] {
            #expect(!Validation.isValidEndpointSubject(bad), "\(bad)")
        }
    }

    @Test func configValidation() throws {
        #expect(throws: Never.self) { try ServiceConfig(name: "calc", version: "1.2.3").validate() }
        #expect { try ServiceConfig(name: "bad name", version: "1.2.3").validate() } throws: { error in
            (error as? MicroError)?.code == .invalidConfig
        }
        #expect { try ServiceConfig(name: "calc", version: "1.2").validate() } throws: { error in
            (error as? MicroError)?.code == .invalidConfig
        }
        #expect { try ServiceConfig(name: "calc", version: "1.0.0", queueGroup: "a b").validate() } throws: { error in
            (error as? MicroError)?.code == .invalidConfig
        }
    }

    @Test func controlSubjects() {
        #expect(ServiceVerb.ping.subject() == "$SRV.PING")
        #expect(ServiceVerb.info.subject(name: "calc") == "$SRV.INFO.calc")
        #expect(ServiceVerb.stats.subject(name: "calc", id: "X1") == "$SRV.STATS.calc.X1")
    }

    @Test func startedIsRFC3339UTC() throws {
        let text = Date(timeIntervalSince1970: 1_795_810_000.697).rfc3339
        #expect(text.hasSuffix("Z"))
        #expect(text.contains("."))
        let parser = ISO8601DateFormatter()
        parser.formatOptions = [.withInternetDateTime, .withFractionalSeconds]
        #expect(parser.date(from: text) != nil)
    }

    @Test func statsJSONOmitsDataAndEncodesNanoseconds() throws {
        let stats = EndpointStats(
            name: "e", subject: "e", queueGroup: "q", numRequests: 2, numErrors: 1, lastError: "400:x",
            processingTime: 3000, averageProcessingTime: 1500)
        let object = try #require(
            try JSONSerialization.jsonObject(with: JSONEncoder().encode(stats)) as? [String: Any])
        #expect(object["data"] == nil)
        #expect(object["processing_time"] as? Int == 3000)
        #expect(object["average_processing_time"] as? Int == 1500)
        #expect(object["last_error"] as? String == "400:x")
        #expect(object["num_requests"] as? Int == 2)
    }
}
