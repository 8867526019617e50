import Agent
import ArgumentParser
import Cluster
import Foundation
import NATSClient

/// Opens a NATS connection for a one-shot command and runs `body` with a control client.
func withControl<T: Sendable>(
    _ config: AgentConfig, timeout: Duration, _ body: @escaping @Sendable (ClusterControl) async throws -> T
) throws -> T {
    // One-shot commands print only warnings and errors of the NATS client (not "connected").
    AgentLogHandler.bootstrap(level: .warning)
    let options: NATSOptions
    do {
        var made = try config.natsOptions(clientName: "swift-cluster-cli-\(config.cluster.nodeId)")
        made.maxReconnects = 0
        made.connectTimeout = min(timeout, .seconds(5))
        options = made
    } catch {
        printError("swift-cluster: \(error)")
        throw ExitCode(error.exitCode)
    }
    return try runAsync {
        let connection: NATSConnection
        do {
            connection = try await NATSConnection.connect(options)
        } catch {
            printError("swift-cluster: cannot reach NATS at \(options.servers.joined(separator: ", ")): \(error)")
            throw Exit.unavailable
        }
        do {
            let result = try await body(ClusterControl(connection: connection, clusterId: config.cluster.clusterId, timeout: timeout))
            await connection.close()
            return result
        } catch let error as ClusterControlError {
            await connection.close()
            throw exit(for: error)
        } catch {
            await connection.close()
            throw error
        }
    }
}

/// Prints what went wrong and maps it to an exit status.
func exit(for error: ClusterControlError) -> ExitCode {
    switch error {
    case .noResponders(let subject):
        printError("swift-cluster: no daemon answers on \(subject): is swift-cluster running there?")
        return Exit.unavailable
    case .timeout(let subject):
        printError("swift-cluster: no reply on \(subject) in time")
        return Exit.timeout
    case .transport, .malformedReply:
        printError("swift-cluster: \(error)")
        return Exit.unavailable
    case .refused(let reason):
        printError("swift-cluster: refused: \(reason)")
        return Exit.refused
    }
}

/// `--timeout` in milliseconds for queries and control requests.
struct TimeoutOption: ParsableArguments {
    @Option(name: .long, help: "How long to wait for each reply, in milliseconds.")
    var timeoutMs: Int = 2000

    var duration: Duration { .milliseconds(max(1, timeoutMs)) }
}
