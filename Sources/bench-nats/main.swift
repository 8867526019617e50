// bench-nats: the Swift NATS client side by side with nats-py, measured in one run against a nats-server
// on loopback that this program starts (NATSTestSupport). `make bench-nats` runs it from a release build.
//
//   bench-nats --python <venv python> --py-script Benchmarks/nats_py_bench.py
//              [--requests N] [--publishes N] [--kv-updates N] [--no-python]
import Foundation
import NATSClient
import NATSTestSupport

let arguments = try BenchArguments(CommandLine.arguments.dropFirst())
let server = try NATSServer()
defer { server.stop() }

let responderConnection = try await NATSConnection.connect(NATSOptions(servers: [server.url], name: "bench-responder"))
try startEchoResponder(on: responderConnection)

#if DEBUG
let buildKind = "DEBUG build (numbers are not representative; use -c release)"
#else
let buildKind = "release build"
#endif
print("bench-nats: nats-server \(server.url), \(buildKind), one run; measuring the Swift client ...")
let swift = try await measureSwift(url: server.url, arguments: arguments)
var python: BenchResult?
if let script = arguments.pyScript {
    print("bench-nats: measuring nats-py (\(script)) ...")
    python = try await measurePython(url: server.url, arguments: arguments, script: script)
}
await responderConnection.close()

printTable(swift: swift, python: python, arguments: arguments)
server.stop()
