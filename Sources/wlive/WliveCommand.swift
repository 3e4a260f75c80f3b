import ArgumentParser

@main
struct WliveCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "wlive",
        abstract: "Wlive: the real-time comment fan-out gateway.",
        subcommands: [ServeCommand.self, TokenCommand.self, ConfigCommand.self],
        defaultSubcommand: ServeCommand.self)
}
