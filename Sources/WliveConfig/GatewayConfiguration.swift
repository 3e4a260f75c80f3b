import WliveAPI
import WliveCluster
import WliveProtocol
import WliveSpam
import WliveStore

#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

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
    /// Whether viewers may negotiate permessage-deflate (`ws.permessage_deflate`).
    public var permessageDeflate = true
    /// zlib's level for compressed broadcasts, 1...9 (`ws.deflate_level`).
    public var deflateLevel = 6
    /// Largest upgrade request head, in bytes (`ws.max_header_size`).
    public var maxHeaderSize = 8 * 1024
    /// Seconds a client has to finish its upgrade request (`ws.request_timeout`).
    public var requestTimeout = 10.0
    /// When non-empty, the only `Origin` values accepted (`ws.allowed_origins`).
    public var allowedOrigins: [String] = []
    /// Whether every room's handshake needs a signed viewer token, not only private rooms'
    /// (`ws.require_token`).
    public var requireViewerToken = false
    /// The HTTP API port (`http.port`); 0 picks a free port.
    public var httpPort = 8081
    /// Largest API request head and body, in bytes (`http.max_header_size`, `http.max_body_size`): above, 431 and 413.
    public var apiMaxHeaderSize = 16 * 1024
    public var apiMaxBodySize = 64 * 1024
    /// Seconds an API client has to send a request, and that an idle keep-alive connection is kept (`http.request_timeout`).
    public var apiRequestTimeout = 10.0
    /// Answer bytes an API client may leave unread before the gateway stops reading its
    /// further (pipelined) requests, until it reads (`http.max_pending_bytes`).
    public var apiMaxPendingBytes = 1024 * 1024
    /// WebSocket connections the gateway holds at most (`ws.max_connections`); the next ones get
    /// 503. 0: derived from the open-file limit (see `effectiveMaxConnections`).
    public var maxConnections = 0
    /// The HTTP API: login (`auth.*`), channel ids and URLs (`channels.*`), comment length (`comment.max_length`).
    public var api = APISettings()
    /// The spam rules' thresholds (`spam.*`).
    public var spam = SpamSettings()
    /// The banned-word dictionary, one word a line (`spam.banned_words_file`); reloaded on SIGHUP.
    public var bannedWordsFile = "config/banned-words.txt"
    /// Event loops for WebSocket connections (`workers`); 0 means one per core.
    public var workers = 0
    /// Seconds a client has to send its handshake after the upgrade (`wlive.handshake_timeout`).
    public var handshakeTimeout = 10.0
    /// The Wlive session rules: sources (`wlive.sources`), heartbeat (`heartbeat.*`) and the
    /// upstream allowance (`ws.upstream_allowance`).
    public var session = WliveSession.Configuration()
    /// Outbound bytes a connection may have queued before `slowConsumerPolicy` applies (`fanout.max_pending_bytes`).
    public var maxPendingBytes = 1024 * 1024
    /// The kernel send buffer of each WebSocket connection, in bytes (`fanout.send_buffer`); 0
    /// leaves it to the kernel's autotuning, which may grow to megabytes per slow reader.
    public var socketSendBuffer = 0
    /// What happens to a reader over `maxPendingBytes` (`fanout.slow_consumer_policy`).
    public var slowConsumerPolicy = SlowConsumerPolicy.disconnect
    /// Entries in each channel's ring, a power of two (`fanout.ring_capacity`).
    public var ringCapacity = 4096
    /// An opt-in ceiling, in seconds, on how long a busy channel gathers comments before writing
    /// them in one go (`fanout.max_delay`); 0, the default, never waits: batching comes from load.
    public var maxDelay = 0.0
    /// Seconds `shutdown()` waits for clients to answer the close before dropping them (`shutdown.timeout`).
    public var shutdownTimeout = 5.0
    /// Seconds `shutdown()` keeps serving while `/readyz` already answers 503, so a load
    /// balancer stops sending new clients before the gateway closes anything (`shutdown.drain_delay`).
    public var shutdownDrainDelay = 0.0
    /// trace, debug, info, notice, warning, error or critical (`log.level`).
    public var logLevel = "info"
    /// Log lines as text or as one JSON object each (`log.format`).
    public var logFormat = LogFormat.text
    /// Where rooms, watchers and comments last, and for how long (`store.*`, `history.*`).
    public var store = StoreSettings()
    /// The admin port: metrics, health checks, the operator page (`admin.*`).
    public var admin = AdminSettings()
    /// Several nodes on one Redis (`cluster.*`); off while `cluster.redis_url` is empty.
    public var cluster = ClusterSettings()

    public init() {}

    /// The most worker loops a gateway runs: each channel keeps one bit per worker of who to wake.
    public static let maxWorkers = 64

    /// `maxConnections`, or when it is 0 the process's open-file limit less a tenth of it (at
    /// least 64 descriptors) for the API port, the listeners and the loops' own descriptors.
    public var effectiveMaxConnections: Int {
        if maxConnections > 0 { return maxConnections }
        var limit = rlimit()
        guard getrlimit(Int32(RLIMIT_NOFILE.rawValue), &limit) == 0, limit.rlim_cur != rlim_t.max else { return 1 << 20 }
        let files = Int(clamping: limit.rlim_cur)
        return max(1, files - max(64, files / 10))
    }

    /// The kernel send buffer to set: `socketSendBuffer`, or with the `skip` policy and no size
    /// given, 64 KiB, because readers that stall are kept open and the kernel's autotuned buffer
    /// would pin megabytes each.
    public var effectiveSocketSendBuffer: Int {
        socketSendBuffer > 0 ? socketSendBuffer : (slowConsumerPolicy == .skip ? 64 * 1024 : 0)
    }

    /// The loops to run: `workers`, or the core count (at most `maxWorkers`) when it is 0.
    public var effectiveWorkers: Int {
        workers > 0 ? workers : min(Self.maxWorkers, max(1, Int(sysconf(Int32(_SC_NPROCESSORS_ONLN)))))
    }
}

/// How log lines are written.
public enum LogFormat: String, Sendable, Equatable, CaseIterable {
    /// `2026-11-29T06:00:00+0000 info wlive: channel=42 connection=1-7 [wlive] message`, for people.
    case text
    /// One JSON object a line, for log collectors.
    case json
}

/// The admin listener: `/metrics`, `/healthz`, `/readyz`, the operator page at `/admin` and the
/// OpenAPI document, on a port of its own.
public struct AdminSettings: Sendable, Equatable {
    /// Whether the admin port listens and publish-to-write latency is measured (`admin.enabled`).
    public var enabled = true
    /// Address the admin port binds to (`admin.host`); loopback by default.
    public var host = "127.0.0.1"
    /// The admin port (`admin.port`); 0 picks a free port.
    public var port = 8082
    /// The token the operator page and its data need (`admin.token`): required when set, and
    /// it must be set when `host` is not a loopback address.
    public var token = ""

    public init() {}

    /// Whether `host` only accepts connections from this machine.
    public var isLoopback: Bool {
        host == "localhost" || host == "::1" || host.hasPrefix("127.")
    }
}

/// What to do with a subscriber that reads too slowly.
public enum SlowConsumerPolicy: String, Sendable, Equatable, CaseIterable {
    /// Close it with 1013 (try again later).
    case disconnect
    /// Drop messages for it while it is behind, then send a `gap` notice saying how many.
    case skip
}
