import ArgumentParser
import Foundation
import WliveConfig

/// `wlive config check`, `wlive config defaults` and `wlive config reload`.
struct ConfigCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "config",
        abstract: "Check the configuration, or make a running gateway reload its banned words.",
        subcommands: [Check.self, Defaults.self, Reload.self])

    struct Defaults: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Print every key with its default and what it does, as YAML (config/wlive.yaml is this output).")

        func run() throws { print(ConfigurationKeys.defaultYAML, terminator: "") }
    }

    struct Check: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Load and validate the configuration; exit 78 naming the bad key.")
        @Option(help: "YAML configuration file.") var config: String?

        func run() async throws {
            let settings = try await ServeCommand.loadConfiguration(path: config, overrides: [:])
            print(
                "configuration ok: ws \(settings.host):\(settings.webSocketPort)\(settings.webSocketPath), http \(settings.host):\(settings.httpPort), workers \(settings.effectiveWorkers)"
            )
        }
    }

    struct Reload: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Send SIGHUP to a running `wlive serve`: it reloads spam.banned_words_file without dropping a connection.")
        @Option(help: "The process id of `wlive serve`.") var pid: Int32

        func run() throws {
            guard kill(pid, SIGHUP) == 0 else {
                throw ValidationError("cannot signal process \(pid): \(String(cString: strerror(errno)))")
            }
            print("sent SIGHUP to \(pid)")
        }
    }
}
