import ArgumentParser
import Foundation
import Synchronization
import WliveConfig
import WliveLoad

@main
struct WliveLoadCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "wlive-load",
        abstract: "Drives a Wlive gateway (or any WebSocket push server) with subscribers and posts, and reports what arrived.",
        subcommands: [RunCommand.self, ChildCommand.self],
        defaultSubcommand: RunCommand.self)
}

struct RunCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "run",
        abstract: "Runs a scenario (loadtest/scenarios/*.yaml); exits 1 when its expect: block is not met.")

    @Argument(help: "A scenario file; without one the built-in defaults are used.")
    var scenario: String?

    @Option(name: .customLong("set"), help: ArgumentHelp("Overrides any scenario key.", valueName: "key=value"))
    var settings: [String] = []

    @Option(help: "wlive or generic") var target: String?
    @Flag(help: "Start an embedded gateway in this process and drive it.") var inProcess = false
    @Option(help: "Gateway configuration for --in-process (default: config/wlive.yaml if present).") var gatewayConfig: String?
    @Option(help: "Wlive WebSocket URL.") var wsURL: String?
    @Option(help: "Wlive HTTP API base URL.") var httpURL: String?
    @Option(help: "Generic target: subscribe URL with {channel}.") var subURL: String?
    @Option(help: "Generic target: publish URL with {channel}.") var pubURL: String?
    @Option var subscribers: Int?
    @Option var channels: Int?
    @Option(help: "Posts per second.") var postRate: Double?
    @Option(help: "Seconds of posting.") var duration: Double?
    @Option var commentSize: Int?
    @Option(help: "Connections per second (0: as fast as possible).") var connectRate: Double?
    @Option var heartbeatInterval: Int?
    @Option(help: "e.g. 127.0.0.2-127.0.0.9") var sourceAddresses: String?
    @Option(help: "Worker processes (each with its own open-file limit).") var procs: Int?
    @Option(help: "Event loops per process.") var loops: Int?
    @Option(help: "The gateway's pid(s), comma separated, for its CPU time and peak memory.") var gatewayPID: String?
    @Flag(help: "Print one JSON summary instead of the table.") var json = false

    func run() async throws {
        var overrides: [(String, String)] = []
        func put(_ key: String, _ value: (some CustomStringConvertible)?) {
            if let value { overrides.append((key, value.description)) }
        }
        put("target", target)
        if inProcess { put("in_process", "true") }
        put("ws_url", wsURL)
        put("http_url", httpURL)
        put("sub_url", subURL)
        put("pub_url", pubURL)
        put("subscribers", subscribers)
        put("channels", channels)
        put("post_rate", postRate)
        put("duration", duration)
        put("comment_size", commentSize)
        put("connect_rate", connectRate)
        put("heartbeat_interval", heartbeatInterval)
        put("source_addresses", sourceAddresses)
        put("procs", procs)
        put("loops", loops)
        put("gateway_pids", gatewayPID)
        for setting in settings { overrides.append(try ScenarioLoader.override(setting)) }

        var scenario: Scenario
        do {
            scenario = try await ScenarioLoader.load(path: self.scenario, overrides: overrides)
        } catch {
            FileHandle.standardError.write(Data("wlive-load: \(error)\n".utf8))
            throw ExitCode(2)
        }
        let gateway =
            scenario.inProcess
            ? try InProcessGateway.start(try await ConfigurationLoader.load(path: gatewayConfig), for: &scenario) : nil
        defer { gateway?.shutdown() }

        let interactive = isatty(STDERR_FILENO) == 1
        let previous = PreviousProgress()
        let printProgress: @Sendable (ProgressSnapshot) -> Void = { snapshot in
            let line = ReportFormatter.progressLine(snapshot, previous: previous.swap(snapshot), seconds: 1)
            FileHandle.standardError.write(Data("\r\u{1B}[K\(line)".utf8))
        }
        let report: LoadReport
        do {
            report = try LoadDriver.run(
                scenario, gateway: gateway, executable: Self.executablePath,
                progress: interactive ? printProgress : nil)
        } catch {
            FileHandle.standardError.write(Data("\nwlive-load: \(error)\n".utf8))
            throw ExitCode(2)
        }
        if interactive { FileHandle.standardError.write(Data("\r\u{1B}[K".utf8)) }
        let failures = ExpectationCheck.failures(scenario.expect, report, subscribers: scenario.subscribers)
        if json {
            print(ReportFormatter.json(report, failures: failures))
        } else {
            print(ReportFormatter.table(report, scenario))
            for failure in failures { print("EXPECTATION NOT MET: \(failure)") }
        }
        if !failures.isEmpty { throw ExitCode(1) }
    }

    static var executablePath: String {
        (try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/exe")) ?? CommandLine.arguments[0]
    }
}

/// The previous progress snapshot, for per-second rates.
final class PreviousProgress: Sendable {
    private let value = Mutex<ProgressSnapshot>(ProgressSnapshot())
    func swap(_ next: ProgressSnapshot) -> ProgressSnapshot {
        value.withLock {
            let old = $0
            $0 = next
            return old
        }
    }
}

struct ChildCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "child", abstract: "Internal: one worker process of a --procs run.", shouldDisplay: false)

    @Option var plan: String
    @Option var index: Int
    @Option var count: Int

    func run() throws {
        var runPlan = try JSONDecoder().decode(RunPlan.self, from: Data(contentsOf: URL(fileURLWithPath: plan)))
        runPlan.processIndex = index
        runPlan.processCount = count
        throw ExitCode(LoadDriver.runChild(runPlan))
    }
}
