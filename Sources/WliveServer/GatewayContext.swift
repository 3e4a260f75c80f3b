import Logging
import Synchronization
import WliveAPI
import WliveAdmin
import WliveCodec
import WliveConfig
import WliveEngine
import WliveProtocol

/// What every loop of a gateway shares: immutable settings and thread-safe state.
final class GatewayContext: Sendable {
    let configuration: GatewayConfiguration
    let channels: ChannelDirectory
    let logger: Logger
    let allowedOrigins: Set<String>
    let requestLimits: HTTPRequestParser.Limits
    let apiRequestLimits: HTTPRequestParser.Limits
    /// `ws.max_connections` in force.
    let maxConnections: Int
    /// WebSocket connections holding a place under `maxConnections`, over every loop.
    private let admittedConnections = Atomic<Int>(0)
    /// Set when a graceful shutdown begins: `/readyz` answers 503 from then on.
    let isDraining = Atomic<Bool>(false)
    /// Unix seconds when the gateway was made, for `process_start_time_seconds` and uptime.
    let startTime = ProcessStatistics.wallClockSeconds()
    /// Checks the viewer tokens of private rooms (signed with `auth.secrets`).
    let viewerTokens: AuthTokenVerifier
    /// Checks an anchor's own login token on its socket.
    let loginTokens: AuthTokenVerifier

    init(configuration: GatewayConfiguration, channels: ChannelDirectory, logger: Logger) {
        self.configuration = configuration
        self.channels = channels
        self.logger = logger
        allowedOrigins = Set(configuration.allowedOrigins)
        requestLimits = .init(maxHeaderBytes: configuration.maxHeaderSize, maxBodyBytes: 0)
        apiRequestLimits = .init(maxHeaderBytes: configuration.apiMaxHeaderSize, maxBodyBytes: configuration.apiMaxBodySize)
        maxConnections = configuration.effectiveMaxConnections
        viewerTokens = AuthTokenVerifier(secrets: configuration.api.authSecrets, purpose: .viewer)
        loginTokens = AuthTokenVerifier(secrets: configuration.api.authSecrets)
    }

    /// Whether a handshake may watch a room: any, unless the room is private or
    /// `ws.require_token` holds; then only with a viewer token for its user and room.
    func admits(_ handshake: WliveHandshake, moderation: RoomModeration) -> Bool {
        guard moderation.isPrivate || configuration.requireViewerToken else { return true }
        if isAnchor(handshake, moderation: moderation) { return true }
        let verdict = viewerTokens.verifyViewer(
            handshake.imToken, userID: handshake.userID, channel: handshake.channelID.description,
            now: Int64(ProcessStatistics.wallClockSeconds()))
        return (try? verdict.get()) != nil
    }

    /// Whether a handshake is the room's anchor itself: the owner's user id and source, with its
    /// login token (`authtoken`, signed with `auth.secrets`) in im_token. Its socket is then the
    /// anchor's presence (live.anchor_timeout counts from when the last one closes).
    func isAnchor(_ handshake: WliveHandshake, moderation: RoomModeration) -> Bool {
        guard !moderation.ownerUserID.isEmpty, handshake.userID == moderation.ownerUserID,
            handshake.source == moderation.ownerSource
        else { return false }
        let verdict = loginTokens.verify(
            handshake.imToken, userID: handshake.userID, source: handshake.source,
            now: Int64(ProcessStatistics.wallClockSeconds()))
        return (try? verdict.get()) != nil
    }

    /// Takes a place for a new WebSocket connection; false when all `maxConnections` are taken.
    func admitConnection() -> Bool {
        if admittedConnections.add(1, ordering: .relaxed).newValue <= maxConnections { return true }
        admittedConnections.subtract(1, ordering: .relaxed)
        return false
    }

    /// Gives a connection's place back.
    func releaseConnection() { admittedConnections.subtract(1, ordering: .relaxed) }
}
