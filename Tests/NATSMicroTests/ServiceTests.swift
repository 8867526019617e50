import Foundation
import NATSClient
import NATSTestSupport
import Synchronization
import Testing

@testable import NATSMicro

/// The service layout shared with `Tests/Interop/micro_discovery.py`.
let calcConfig = ServiceConfig(
    name: "calc", version: "1.2.3", description: "calculator", metadata: ["region": "local"])

func startCalc(on connection: NATSConnection, config: ServiceConfig = calcConfig) async throws -> Service {
    let service = try await Service.start(config, on: connection)
    try await service.addEndpoint("echo", metadata: ["k": "v"]) { request in
        try await request.respond(request.payload)
    }
    let math = service.group("math")
    try await math.addEndpoint("fail") { request in
        try await request.respondError(code: 400, description: "bad input")
    }
    try await math.addEndpoint("add", subject: "sum", queueGroup: "other") { request in
        let numbers = try JSONDecoder().decode([Int].self, from: request.data)
        try await request.respond(String(numbers.reduce(0, +)))
    }
    return service
}

@Suite(.enabled(if: NATSServer.isAvailable, "nats-server is not installed"), .serialized)
struct ServiceTests {
    @Test func discoveryVariantsAnswerWithSchemaValidJSON() async throws {
        let server = try NATSServer()
        defer { server.stop() }
        let serving = try await connect(server, name: "svc")
        let client = try await connect(server, name: "client")
        let service = try await startCalc(on: serving)

        for verb in ServiceVerb.allCases {
            for subject in [verb.subject(), verb.subject(name: "calc"), verb.subject(name: "calc", id: service.id)] {
                let replies = try await gather(client, subject, body: "{}")
                try #require(replies.count == 1, "\(subject): \(replies.count) replies")
                let object = try jsonObject(replies[0])
                #expect(object["type"] as? String == "io.nats.micro.v1.\(verb.rawValue.lowercased())_response")
                #expect(object["name"] as? String == "calc")
                #expect(object["id"] as? String == service.id)
                #expect((object["id"] as? String)?.count == 22)
                #expect(object["version"] as? String == "1.2.3")
                #expect(object["metadata"] as? [String: String] == ["region": "local"])
                switch verb {
                case .ping: #expect(object.count == 5)
                case .info: try checkInfo(object)
                case .stats: try checkStats(object)
                }
            }
        }
        // Another name or id finds nobody.
        for subject in ["$SRV.PING.other", "$SRV.INFO.calc.NOTTHEID"] {
            await #expect { _ = try await client.request("", to: subject, timeout: .seconds(2)) } throws: { error in
                (error as? NATSError)?.code == .noResponders
            }
        }
        await service.stop()
        await client.close()
        await serving.close()
    }

    private func checkInfo(_ object: [String: Any]) throws {
        #expect(object["description"] as? String == "calculator")
        let endpoints = try #require(object["endpoints"] as? [[String: Any]])
        #expect(endpoints.map { $0["name"] as? String } == ["echo", "fail", "add"])
        #expect(endpoints.map { $0["subject"] as? String } == ["echo", "math.fail", "math.sum"])
        #expect(endpoints.map { $0["queue_group"] as? String } == ["q", "q", "other"])
        #expect(endpoints[0]["metadata"] as? [String: String] == ["k": "v"])
        #expect(endpoints[1]["metadata"] as? [String: String] == [:])
    }

    private func checkStats(_ object: [String: Any]) throws {
        let started = try #require(object["started"] as? String)
        let parser = ISO8601DateFormatter()
        parser.formatOptions = [.withInternetDateTime, .withFractionalSeconds]
        let date = try #require(parser.date(from: started), "started \(started)")
        #expect(abs(date.timeIntervalSinceNow) < 60)
        let endpoints = try #require(object["endpoints"] as? [[String: Any]])
        #expect(endpoints.count == 3)
        for endpoint in endpoints {
            for key in ["num_requests", "num_errors", "processing_time", "average_processing_time"] {
                #expect(endpoint[key] is Int, "\(key)")
            }
            #expect(endpoint["last_error"] as? String == "")
            #expect(endpoint["data"] == nil, "data must be omitted, not null")
        }
    }

    @Test func statsCountRequestsErrorsAndTime() async throws {
        let server = try NATSServer()
        defer { server.stop() }
        let serving = try await connect(server)
        let client = try await connect(server)
        let service = try await startCalc(on: serving)

        for n in 0..<3 { #expect(try await client.request("x\(n)", to: "echo").string == "x\(n)") }
        #expect(try await client.request("[1,2,3]", to: "math.sum").string == "6")
        for _ in 0..<2 { _ = try await client.request("", to: "math.fail") }
        // A body the handler cannot decode: it throws, the framework answers 500 and counts it.
        let broken = try await client.request("not json", to: "math.sum")
        #expect(broken.serviceError?.code == 500)

        // Counters are updated right after a handler answers: wait until the last request is counted.
        #expect(await eventually { service.stats.endpoints.map(\.numRequests).reduce(0, +) == 7 })
        let reply = try await client.request("", to: ServiceVerb.stats.subject(name: "calc", id: service.id))
        let stats = try JSONDecoder().decode(StatsResponse.self, from: reply.data)
        let byName = Dictionary(uniqueKeysWithValues: stats.endpoints.map { ($0.name, $0) })
        let echo = try #require(byName["echo"])
        #expect(echo.numRequests == 3 && echo.numErrors == 0 && echo.lastError == "")
        #expect(echo.processingTime > 0)
        #expect(echo.averageProcessingTime == echo.processingTime / 3)
        let fail = try #require(byName["fail"])
        #expect(fail.numRequests == 2 && fail.numErrors == 2 && fail.lastError == "400:bad input")
        let add = try #require(byName["add"])
        #expect(add.numRequests == 2 && add.numErrors == 1 && add.lastError.hasPrefix("500:"))

        service.resetStats()
        #expect(service.stats.endpoints.allSatisfy { $0.numRequests == 0 && $0.processingTime == 0 })
        await service.stop()
        await client.close()
        await serving.close()
    }

    @Test func errorRepliesCarryServiceErrorHeaders() async throws {
        let server = try NATSServer()
        defer { server.stop() }
        let serving = try await connect(server)
        let client = try await connect(server)
        let service = try await Service.start(calcConfig, on: serving)
        try await service.addEndpoint("reject") { request in
            try await request.respondError(
                code: 422, description: "too\nlong", data: ByteBuffer(string: "{\"why\":1}"))
        }
        try await service.addEndpoint("ok") { request in try await request.respond("fine") }

        let rejected = try await client.request("", to: "reject")
        #expect(rejected.headers?[ServiceErrorHeader.code] == "422")
        #expect(rejected.headers?[ServiceErrorHeader.description] == "too long")
        #expect(rejected.string == "{\"why\":1}")
        #expect(rejected.serviceError?.code == 422)
        let fine = try await client.request("", to: "ok")
        #expect(fine.serviceError == nil)
        #expect(fine.headers?[ServiceErrorHeader.code] == nil)
        await service.stop()
        await client.close()
        await serving.close()
    }

    @Test func queueGroupSpreadsRequestsOverInstances() async throws {
        let server = try NATSServer()
        defer { server.stop() }
        let client = try await connect(server)
        let counts = Mutex<[String: Int]>([:])
        var services: [Service] = []
        var connections: [NATSConnection] = []
        for _ in 0..<2 {
            let connection = try await connect(server)
            let service = try await Service.start(calcConfig, on: connection)
            let id = service.id
            try await service.addEndpoint("who") { request in
                counts.withLock { $0[id, default: 0] += 1 }
                try await request.respond(id)
            }
            services.append(service)
            connections.append(connection)
        }
        for _ in 0..<200 { _ = try await client.request("", to: "who") }
        let seen = counts.withLock { $0 }
        #expect(seen.values.reduce(0, +) == 200, "every request answered exactly once: \(seen)")
        #expect(seen.count == 2 && seen.values.allSatisfy { $0 >= 20 }, "both instances served: \(seen)")

        // Discovery reaches every instance (plain subscriptions), each with its own id.
        let pings = try await gather(client, "$SRV.PING.calc")
        let ids = Set(try pings.map { try jsonObject($0)["id"] as? String })
        #expect(ids == Set(services.map(\.id)))
        for service in services { await service.stop() }
        for connection in connections { await connection.close() }
        await client.close()
    }

    @Test func stopUnsubscribesEverything() async throws {
        let server = try NATSServer()
        defer { server.stop() }
        let serving = try await connect(server)
        let client = try await connect(server)
        let service = try await startCalc(on: serving)
        #expect(try await client.request("a", to: "echo").string == "a")

        await service.stop()
        #expect(service.isStopped)
        for subject in ["echo", "math.sum", "$SRV.PING", "$SRV.INFO.calc", "$SRV.STATS.calc.\(service.id)"] {
            await #expect(throws: NATSError.self, "\(subject) still answered") {
                _ = try await client.request("[1]", to: subject, timeout: .seconds(2))
            }
        }
        await #expect { try await service.addEndpoint("late") { _ in } } throws: { error in
            (error as? MicroError)?.code == .stopped
        }
        #expect(serving.isConnected, "stop leaves the connection open")
        await client.close()
        await serving.close()
    }

    @Test func malformedAndUnanswerableRequestsDoNotHurt() async throws {
        let server = try NATSServer()
        defer { server.stop() }
        let serving = try await connect(server)
        let client = try await connect(server)
        let service = try await startCalc(on: serving)

        // No reply subject: nothing to answer, nothing crashes.
        try await client.publish("garbage", to: "$SRV.INFO")
        try await client.publish("[1,2]", to: "math.sum")
        try await client.publish([0xff, 0x00, 0xfe], to: "$SRV.STATS.calc")
        // Bodies and headers of any kind on discovery subjects.
        var headers = NATSHeaders()
        headers.append("snappy", for: "Accept-Encoding")
        let info = try await client.request(ByteBuffer(bytes: [0, 1, 2, 255]), to: "$SRV.INFO", headers: headers)
        #expect(try jsonObject(info)["type"] as? String == InfoResponse.responseType)
        try await client.flush()

        #expect(try await client.request("[4,5]", to: "math.sum").string == "9")
        #expect(await eventually { service.stats.endpoints.first { $0.name == "add" }?.numRequests == 2 })
        let stats = service.stats.endpoints.first { $0.name == "add" }
        #expect(stats?.numErrors == 0)
        await service.stop()
        await client.close()
        await serving.close()
    }

    @Test func invalidEndpointsAreRejected() async throws {
        let server = try NATSServer()
        defer { server.stop() }
        let connection = try await connect(server)
        let service = try await startCalc(on: connection)
        for (name, subject, queue) in [
            ("bad name", nil, nil), ("echo", nil, nil), ("x", "a..b", nil), ("y", "$SRV.PING", nil),
            ("z", nil, "bad group"),
        ] as [(String, String?, String?)] {
            await #expect("\(name) \(subject ?? "") \(queue ?? "")") {
                try await service.addEndpoint(name, subject: subject, queueGroup: queue) { _ in }
            } throws: { error in
                (error as? MicroError)?.code == .invalidEndpoint
            }
        }
        await #expect { _ = try await Service.start(ServiceConfig(name: "calc", version: "x"), on: connection) }
            throws: { error in (error as? MicroError)?.code == .invalidConfig }
        await service.stop()
        await connection.close()
    }

    @Test func endpointWithoutQueueGroupReachesEveryInstance() async throws {
        let server = try NATSServer()
        defer { server.stop() }
        let client = try await connect(server)
        let hits = Mutex(0)
        var services: [Service] = []
        for _ in 0..<2 {
            let service = try await Service.start(
                ServiceConfig(name: "fan", version: "1.0.0", queueGroup: ""), on: client)
            try await service.addEndpoint("all") { request in
                hits.withLock { $0 += 1 }
                try await request.respond("ok")
            }
            services.append(service)
        }
        #expect(services[0].info.endpoints[0].queueGroup == nil)
        let replies = try await gather(client, "all")
        #expect(replies.count == 2)
        #expect(hits.withLock { $0 } == 2)
        for service in services { await service.stop() }
        await client.close()
    }

    @Test func statsHandlerDataAppearsAsAnObject() async throws {
        let server = try NATSServer()
        defer { server.stop() }
        let connection = try await connect(server)
        var config = calcConfig
        config.statsHandler = { endpoint in
            endpoint == "echo" ? ["cache": ["hits": 3, "ratio": 0.5], "mode": "fast", "warm": true] : nil
        }
        let service = try await startCalc(on: connection, config: config)
        let reply = try await connection.request("", to: ServiceVerb.stats.subject(name: "calc"))
        let endpoints = try #require(try jsonObject(reply)["endpoints"] as? [[String: Any]])
        let echo = try #require(endpoints.first { $0["name"] as? String == "echo" })
        let data = try #require(echo["data"] as? [String: Any], "data must be an object")
        #expect(data["mode"] as? String == "fast")
        #expect((data["cache"] as? [String: Any])?["hits"] as? Int == 3)
        for other in endpoints where other["name"] as? String != "echo" {
            #expect(other["data"] == nil, "no data: the key is left out")
        }
        let decoded = try JSONDecoder().decode(StatsResponse.self, from: reply.data)
        #expect(decoded.endpoints.first?.data?["warm"] == true)
        await service.stop()
        await connection.close()
    }
}
