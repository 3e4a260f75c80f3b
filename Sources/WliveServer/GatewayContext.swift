import WliveConfig
import WliveEngine
import WliveCodec

/// What every loop of a gateway shares: immutable settings and thread-safe state.
final class GatewayContext: Sendable {
    let configuration: GatewayConfiguration
    let channels: ChannelDirectory
    let allowedOrigins: Set<String>
    let requestLimits: HTTPRequestParser.Limits
    let apiRequestLimits: HTTPRequestParser.Limits

    init(configuration: GatewayConfiguration, channels: ChannelDirectory) {
        self.configuration = configuration
        self.channels = channels
        allowedOrigins = Set(configuration.allowedOrigins)
        requestLimits = .init(maxHeaderBytes: configuration.maxHeaderSize, maxBodyBytes: 0)
        apiRequestLimits = .init(maxHeaderBytes: configuration.apiMaxHeaderSize, maxBodyBytes: configuration.apiMaxBodySize)
    }
}
