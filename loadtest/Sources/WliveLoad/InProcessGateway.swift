import Logging
import WliveConfig
import WliveProtocol
import WliveServer

/// An embedded gateway for `--in-process` runs and tests: loopback, ephemeral ports.
public enum InProcessGateway {
    /// Starts a gateway from `configuration` (host and ports replaced) and points `scenario` at it.
    /// `openChannels` are live from the start, for the API as for the push tier.
    public static func start(
        _ configuration: GatewayConfiguration, for scenario: inout Scenario, openChannels: [ChannelID] = []
    ) throws -> Gateway {
        var configuration = configuration
        configuration.host = "127.0.0.1"
        configuration.webSocketPort = 0
        configuration.httpPort = 0
        configuration.admin.port = 0
        configuration.workers = scenario.gatewayWorkers
        // An embedded gateway keeps nothing: no store file is left behind by a test or a run.
        configuration.store.kind = .memory
        // Info lines (one per channel started) would bury the progress line: warnings and up only.
        var logger = Logger(label: "wlive")
        logger.logLevel = max(Logger.Level(rawValue: configuration.logLevel) ?? .info, .warning)
        let gateway = Gateway(configuration: configuration, logger: logger, openChannels: openChannels)
        let ports = try gateway.start()
        scenario.wsURL = "ws://127.0.0.1:\(ports.webSocket)\(configuration.webSocketPath)"
        scenario.httpURL = "http://127.0.0.1:\(ports.http)/live/"
        return gateway
    }
}
