import WliveProtocol

/// Everything a `Gateway` can be told. The defaults here are the single source of the defaults:
/// `ConfigurationLoader` seeds its lowest layer from `GatewayConfiguration()`, and
/// config/wlive.yaml documents each key.
public struct GatewayConfiguration: Sendable, Equatable {
    /// Address both ports bind to (`host`).
    public var host = "127.0.0.1"
    /// The downstream WebSocket port (`ws.port`); 0 picks a free port.
    public var webSocketPort = 8080
    /// The path viewers connect to (`ws.path`).
    public var webSocketPath = "/ws"
    /// A path that echoes every message back, for conformance suites only (`ws.echo_path`); nil: off.
    public var echoPath: String?
    /// Largest WebSocket message accepted from a client, in bytes (`ws.max_message_size`).
    public var maxMessageSize = 64 * 1024
    /// Largest upgrade request head, in bytes (`ws.max_header_size`).
    public var maxHeaderSize = 8 * 1024
    /// Seconds a client has to finish its upgrade request (`ws.request_timeout`).
    public var requestTimeout = 10.0
    /// When non-empty, the only `Origin` values accepted (`ws.allowed_origins`).
    public var allowedOrigins: [String] = []
    /// The HTTP API port (`http.port`); 0 picks a free port.
    public var httpPort = 8081
    /// Event loops for WebSocket connections (`workers`); 0 means one per core.
    public var workers = 0
    /// Seconds a client has to send its handshake after the upgrade (`wlive.handshake_timeout`).
    public var handshakeTimeout = 10.0
    /// The Wlive session rules: sources (`wlive.sources`), heartbeat (`heartbeat.*`) and the
    /// upstream allowance (`wlive.upstream_allowance`).
    public var session = WliveSession.Configuration()
    /// Outbound bytes a connection may have queued before it is dropped as too slow (`fanout.max_pending_bytes`).
    public var maxPendingBytes = 1024 * 1024
    /// Seconds `shutdown()` waits for clients to answer the close before dropping them (`shutdown.timeout`).
    public var shutdownTimeout = 5.0
    /// trace, debug, info, notice, warning, error or critical (`log.level`).
    public var logLevel = "info"

    public init() {}

    /// The loops to run: `workers`, or the core count when it is 0.
    public var effectiveWorkers: Int {
        workers > 0 ? workers : max(1, Int(sysconf(Int32(_SC_NPROCESSORS_ONLN))))
    }
}

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
