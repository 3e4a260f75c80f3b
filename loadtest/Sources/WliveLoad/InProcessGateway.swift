import WliveConfig
import WliveServer

/// An embedded gateway for `--in-process` runs and tests: loopback, ephemeral ports.
public enum InProcessGateway {
    /// Starts a gateway from `configuration` (host and ports replaced) and points `scenario` at it.
    public static func start(_ configuration: GatewayConfiguration, for scenario: inout Scenario) throws -> Gateway {
        var configuration = configuration
        configuration.host = "127.0.0.1"
        configuration.webSocketPort = 0
        configuration.httpPort = 0
        configuration.workers = scenario.gatewayWorkers
        let gateway = Gateway(configuration: configuration)
        let ports = try gateway.start()
        scenario.wsURL = "ws://127.0.0.1:\(ports.webSocket)\(configuration.webSocketPath)"
        scenario.httpURL = "http://127.0.0.1:\(ports.http)/live/"
        return gateway
    }
}
