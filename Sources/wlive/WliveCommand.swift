import ArgumentParser

@main
struct WliveCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "wlive",
        abstract: "Wlive: the real-time comment fan-out gateway.",
        subcommands: [ServeCommand.self],
        defaultSubcommand: ServeCommand.self)
}
