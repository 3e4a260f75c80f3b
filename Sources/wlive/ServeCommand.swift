import ArgumentParser
import Configuration
import Foundation
import Logging
import Synchronization
import WliveConfig
import WliveProtocol
import WliveServer

/// `wlive serve`: runs the gateway until SIGINT or SIGTERM, then shuts down gracefully.
struct ServeCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "serve",
        abstract: "Run the gateway.",
        discussion: """
            Settings come from, lowest first: built-in defaults, the YAML file (--config, default \
            \(ConfigurationLoader.defaultPath) when present), WLIVE_* environment variables \
            (heartbeat.min_interval is WLIVE_HEARTBEAT_MIN_INTERVAL), and these flags.
            """)

    @Option(help: "YAML configuration file.") var config: String?
    @Option(help: "Address to bind (host).") var host: String?
    @Option(name: .customLong("ws-port"), help: "WebSocket port (ws.port); 0 picks a free one.") var wsPort: Int?
    @Option(name: .customLong("http-port"), help: "HTTP API port (http.port); 0 picks a free one.") var httpPort: Int?
    @Option(name: .customLong("admin-port"), help: "Admin port (admin.port): metrics, health, /admin; 0 picks a free one.")
    var adminPort: Int?
    @Option(help: "Event loops; 0 means one per core (workers).") var workers: Int?
    @Option(name: .customLong("log-level"), help: "trace, debug, info, notice, warning, error or critical (log.level).")
    var logLevel: String?
    @Option(
        name: .customLong("open-channel"),
        help: "Open a live channel with this id at start-up (repeatable); for demos and measurements.")
    var openChannels: [String] = []

    func run() async throws {
        var overrides: [String: ConfigValue] = [:]
        if let host { overrides["host"] = ConfigValue(.string(host), isSecret: false) }
        if let wsPort { overrides["ws.port"] = ConfigValue(.int(wsPort), isSecret: false) }
        if let httpPort { overrides["http.port"] = ConfigValue(.int(httpPort), isSecret: false) }
        if let adminPort { overrides["admin.port"] = ConfigValue(.int(adminPort), isSecret: false) }
        if let workers { overrides["workers"] = ConfigValue(.int(workers), isSecret: false) }
        if let logLevel { overrides["log.level"] = ConfigValue(.string(logLevel), isSecret: false) }

        let settings = try await Self.loadConfiguration(path: config, overrides: overrides)

        let level = Logger.Level(rawValue: settings.logLevel) ?? .info
        LoggingSystem.bootstrap { label in
            switch settings.logFormat {
            case .text:
                var handler = StreamLogHandler.standardError(label: label)
                handler.logLevel = level
                return handler
            case .json:
                return JSONLogHandler(label: label, level: level)
            }
        }
        let channelIDs = try openChannels.map { text in
            guard let id = ChannelID(text) else {
                throw ValidationError("--open-channel \(text): a channel id is a positive decimal number")
            }
            return id
        }
        let gateway = Gateway(configuration: settings, logger: Logger(label: "wlive"), openChannels: channelIDs)
        do {
            let ports = try gateway.start()
            let admin = ports.admin.map { ", admin on http://\(settings.admin.host):\($0)/admin" } ?? ""
            print(
                "wlive: WebSocket on ws://\(settings.host):\(ports.webSocket)\(settings.webSocketPath), HTTP API on http://\(settings.host):\(ports.http)/live/\(admin)"
            )
            fflush(nil)  // scripts read this line from a pipe to learn the ports
        } catch {
            FileHandle.standardError.write(Data("wlive: cannot start: \(error)\n".utf8))
            throw ExitCode.failure
        }
        // SIGHUP reloads the banned words; connections stay.
        signal(SIGHUP, SIG_IGN)
        let reload = DispatchSource.makeSignalSource(signal: SIGHUP, queue: .global())
        reload.setEventHandler {
            Task {
                do { try await gateway.reloadDictionary() } catch {
                    FileHandle.standardError.write(Data("wlive: reload failed, keeping the old dictionary: \(error)\n".utf8))
                }
            }
        }
        reload.resume()
        await Self.waitForTerminationSignal()
        reload.cancel()
        gateway.shutdown()
    }

    /// Loads the configuration, or stops with one line naming the bad key and exit status 78.
    static func loadConfiguration(path: String?, overrides: [String: ConfigValue]) async throws -> GatewayConfiguration {
        do {
            return try await ConfigurationLoader.load(path: path, overrides: overrides)
        } catch {
            FileHandle.standardError.write(Data("wlive: \(error)\n".utf8))
            throw ExitCode(78)  // EX_CONFIG
        }
    }

    /// Returns when SIGINT or SIGTERM arrives.
    static func waitForTerminationSignal() async {
        signal(SIGINT, SIG_IGN)
        signal(SIGTERM, SIG_IGN)
        let resumed = Mutex(false)
        var sources: [any DispatchSourceSignal] = []
        await withCheckedContinuation { (continuation: CheckedContinuation<Void, Never>) in
            for number in [SIGINT, SIGTERM] {
                let source = DispatchSource.makeSignalSource(signal: number, queue: .global())
                source.setEventHandler {
                    let first = resumed.withLock { done in
                        defer { done = true }
                        return !done
                    }
                    if first { continuation.resume() }
                }
                source.resume()
                sources.append(source)
            }
        }
        for source in sources { source.cancel() }
    }
}
