import Configuration
import WliveCluster
import WliveSpam

/// One configuration key: its name, what it means, where it lives in `GatewayConfiguration`
/// (which holds its default) and its rule. `ConfigurationKeys.all` is the single table every
/// other place derives from: the loader's defaults layer and checks, and config/wlive.yaml
/// (`wlive config defaults` prints it, and a test holds the shipped file to it).
public struct ConfigurationKey {
    /// The dotted name: `ws.port`, also `WLIVE_WS_PORT` in the environment.
    public let name: String
    /// What it does, as config/wlive.yaml says above the key; empty when the comment above the
    /// previous key covers this one too.
    public let doc: String
    let defaultContent: (GatewayConfiguration) -> ConfigContent
    let read: (KeyReader, inout GatewayConfiguration) throws -> Void

    /// The default as YAML.
    public var defaultYAML: String { Self.yaml(defaultContent(GatewayConfiguration())) }

    static func yaml(_ content: ConfigContent) -> String {
        switch content {
        case .string(let text):
            let plain = !text.isEmpty && text.allSatisfy { $0.isLetter || $0.isNumber || "/._-".contains($0) }
            return plain ? text : "\"\(text)\""
        case .int(let value): return String(value)
        case .double(let value): return value == value.rounded() ? String(Int(value)) : String(value)
        case .bool(let value): return String(value)
        case .stringArray(let values): return "[" + values.map { "\"\($0)\"" }.joined(separator: ", ") + "]"
        case .intArray(let values): return "[" + values.map(String.init).joined(separator: ", ") + "]"
        default: return "\(content)"
        }
    }
}

extension ConfigurationKey {
    static func int(
        _ name: String, _ path: WritableKeyPath<GatewayConfiguration, Int>, _ range: ClosedRange<Int>, must rule: String? = nil,
        _ doc: String = ""
    ) -> Self {
        Self(
            name: name, doc: doc, defaultContent: { .int($0[keyPath: path]) },
            read: { keys, config in
                config[keyPath: path] = try keys.int(name, range, must: rule)
            })
    }

    static func seconds(_ name: String, _ path: WritableKeyPath<GatewayConfiguration, Double>, _ doc: String = "") -> Self {
        Self(
            name: name, doc: doc, defaultContent: { .double($0[keyPath: path]) },
            read: { keys, config in
                config[keyPath: path] = try keys.seconds(name)
            })
    }

    /// Seconds that may be 0, within `range`.
    static func seconds(
        _ name: String, _ path: WritableKeyPath<GatewayConfiguration, Double>, in range: ClosedRange<Double>, _ doc: String
    ) -> Self {
        Self(
            name: name, doc: doc, defaultContent: { .double($0[keyPath: path]) },
            read: { keys, config in
                let value = try keys.double(name)
                guard range.contains(value) else {
                    throw ConfigurationError(
                        key: name,
                        problem:
                            "\(value) must be seconds in [\(ConfigurationKey.yaml(.double(range.lowerBound))), \(ConfigurationKey.yaml(.double(range.upperBound)))]"
                    )
                }
                config[keyPath: path] = value
            })
    }

    static func bool(_ name: String, _ path: WritableKeyPath<GatewayConfiguration, Bool>, _ doc: String = "") -> Self {
        Self(
            name: name, doc: doc, defaultContent: { .bool($0[keyPath: path]) },
            read: { keys, config in
                config[keyPath: path] = try keys.bool(name)
            })
    }

    static func string(
        _ name: String, _ path: WritableKeyPath<GatewayConfiguration, String>, must rule: String = "not be empty",
        _ doc: String = "", where isValid: @escaping (String) -> Bool = { !$0.isEmpty }
    ) -> Self {
        Self(
            name: name, doc: doc, defaultContent: { .string($0[keyPath: path]) },
            read: { keys, config in
                config[keyPath: path] = try keys.string(name, must: rule, isValid)
            })
    }

    static func strings(_ name: String, _ path: WritableKeyPath<GatewayConfiguration, [String]>, _ doc: String = "") -> Self {
        Self(
            name: name, doc: doc, defaultContent: { .stringArray($0[keyPath: path]) },
            read: { keys, config in
                config[keyPath: path] = try keys.strings(name)
            })
    }

    /// One of an enumeration's raw values.
    static func choice<Choice: RawRepresentable & CaseIterable>(
        _ name: String, _ path: WritableKeyPath<GatewayConfiguration, Choice>, _ doc: String
    ) -> Self where Choice.RawValue == String {
        Self(
            name: name, doc: doc, defaultContent: { .string($0[keyPath: path].rawValue) },
            read: { keys, config in
                let names = Choice.allCases.map(\.rawValue)
                let name = try keys.string(name, must: "be one of \(names.joined(separator: ", "))") { names.contains($0) }
                config[keyPath: path] = Choice(rawValue: name)!
            })
    }

    /// A URL template that must contain `{channel_id}`.
    static func template(_ name: String, _ path: WritableKeyPath<GatewayConfiguration, String>, _ doc: String = "") -> Self {
        string(name, path, must: "contain {channel_id}", doc, where: { $0.contains("{channel_id}") })
    }
}

/// The table of every key, in the order config/wlive.yaml lists them.
public enum ConfigurationKeys {
    public static var all: [ConfigurationKey] {
        [
            .string("host", \.host, "Address both ports bind to. 0.0.0.0 for every interface."),
            .int(
                "workers", \.workers, 0...GatewayConfiguration.maxWorkers,
                "Event loops (threads) for WebSocket connections, at most 64; 0 = one per CPU core (at most 64)."),

            .int("ws.port", \.webSocketPort, 0...65535, "The downstream WebSocket port viewers connect to. 0 picks a free port."),
            .string(
                "ws.path", \.webSocketPath, must: "start with /",
                "The path of the Wlive endpoint: ws://HOST:PORT/ws (channel_id may also go in the query).",
                where: { $0.hasPrefix("/") }),
            ConfigurationKey(
                name: "ws.echo_path",
                doc: """
                    Conformance aid only: a path that echoes every message back, for Autobahn|Testsuite.
                    Empty = off. Never enable it in production.
                    """,
                defaultContent: { .string($0.echoPath ?? "") },
                read: { keys, config in
                    let path = try keys.string("ws.echo_path", must: "be empty or start with /") {
                        $0.isEmpty || $0.hasPrefix("/")
                    }
                    config.echoPath = path.isEmpty ? nil : path
                }),
            .int(
                "ws.max_message_size", \.maxMessageSize, 1...(1 << 30),
                "Largest message a client may send, in bytes (frames and fragmented messages alike); above: close 1009."),
            .bool(
                "ws.permessage_deflate", \.permessageDeflate,
                """
                Whether clients may negotiate permessage-deflate (RFC 7692). Each broadcast is compressed once, for
                every subscriber that did; inbound compressed messages inflate up to ws.max_message_size (above: 1009).
                """),
            .int(
                "ws.deflate_level", \.deflateLevel, 1...9,
                "zlib's compression level for permessage-deflate, 1 (fastest) to 9 (smallest)."),
            .int("ws.max_header_size", \.maxHeaderSize, 256...(1 << 20), "Largest upgrade request head, in bytes; above: 431."),
            .seconds("ws.request_timeout", \.requestTimeout, "Seconds a client has to finish its upgrade request; after: 408."),
            .strings(
                "ws.allowed_origins", \.allowedOrigins,
                "If non-empty, only these Origin header values may connect; others get 403."),
            .bool(
                "ws.require_token", \.requireViewerToken,
                """
                Whether every handshake needs a viewer token (`wlive token --viewer`, signed with auth.secrets) in
                im_token for its user_id and room; false: only private rooms' (startLive private=1) do. A missing or
                forged one: code -2 and close 4401.
                """),
            .int(
                "ws.max_connections", \.maxConnections, 0...(1 << 24),
                """
                Most WebSocket connections held at once; further ones are answered 503 and closed, before the
                process runs out of file descriptors. 0 = the open-file limit (ulimit -n) less a tenth of it
                (at least 64), kept for API connections, listeners and the loops themselves.
                """),
            .int(
                "ws.upstream_allowance", \.session.upstreamAllowance, 0...1000,
                """
                Upstream data messages answered with an error before the connection is closed with 1008
                (the socket is downstream-only; application heartbeats are always tolerated).
                """),

            .int(
                "http.port", \.httpPort, 0...65535,
                "The HTTP API port: POST /live/startLive, /live/sendComment, ... (docs/HTTP_API.md). 0 picks a free port."),
            .int(
                "http.max_header_size", \.apiMaxHeaderSize, 256...(1 << 20),
                "Largest request head and body, in bytes; above: 431 and 413."),
            .int("http.max_body_size", \.apiMaxBodySize, 1...(64 << 20)),
            .seconds(
                "http.request_timeout", \.apiRequestTimeout,
                "Seconds a client has to send a request, and that an idle keep-alive connection is kept."),
            .int(
                "http.max_pending_bytes", \.apiMaxPendingBytes, 1024...(1 << 30),
                """
                Answer bytes a client may leave unread; past this the gateway stops reading its further
                (pipelined) requests until it reads, so a client that never reads cannot grow memory.
                """),

            .strings(
                "auth.secrets", \.api.authSecrets,
                """
                Secrets that sign the `authtoken` of every API call (HMAC-SHA256; `wlive token` mints one).
                The first signs, any verifies: add the new secret first, drop the old one later, to rotate.
                Empty: no token is valid, so only test=1 calls pass (and only where allow_test is true).
                """),
            .strings(
                "auth.admin_secrets", \.api.adminSecrets,
                """
                Secrets that sign admin tokens (`wlive token --admin`), which the admin calls (banLive) need.
                Kept apart from auth.secrets: a user's login token is never an admin token. Empty: no admin calls,
                except test=1 ones where allow_test is true.
                """),
            .bool(
                "auth.allow_test", \.api.allowTest,
                """
                Whether `test=1` skips the login check, as the seed's test field does in its test environment.
                true for development; config/wlive.production.yaml sets false.
                """),

            .int(
                "channels.node_id", \.api.nodeID, 0...1023,
                "0-1023, unique per gateway node: part of every channel id, so ids never collide across nodes."),
            .template(
                "channels.push_url", \.api.pushURLTemplate,
                """
                Where the anchor pushes and viewers pull the video ({channel_id} is replaced); the video itself
                is served elsewhere, these only fill startLive's push_url and retrieveChannel's addresses.
                """),
            .template("channels.flv_url", \.api.flvURLTemplate),
            .template("channels.rtmp_url", \.api.rtmpURLTemplate),
            .int(
                "channels.max_per_user", \.api.maxChannelsPerUser, 1...1_000_000,
                "Live channels one user (source + userid) may have open at once; one more: code 22."),
            .int(
                "channels.max_open", \.api.maxOpenChannels, 1...10_000_000,
                """
                Live channels the gateway holds at once; one more: code -1. A stopped channel frees its ring
                and watcher lists once its viewers are gone, and keeps only its record for retrieveChannel.
                """),

            .seconds(
                "live.anchor_timeout", \.api.anchorTimeout,
                """
                Seconds an anchor that keeps a presence (anchorHeartbeat, from its first call) may go silent
                before its live room is abnormal (106); a heartbeat within live.abnormal_grace makes it live again.
                """),
            .seconds(
                "live.abnormal_grace", \.api.abnormalGrace,
                "Seconds an abnormal room waits for its anchor before it ends (103, \"abnormal timeout\"); seed 001: 15 min."),
            .seconds(
                "poll.max_wait", \.api.pollMaxWait, in: 0...300,
                "Seconds a long-poll (POST /live/syncComments) is held waiting for a comment before it is answered empty."),
            .int(
                "poll.max_held", \.api.pollMaxHeld, 0...1_000_000,
                """
                Long-polls held at once. Past half of it, the pull_interval in every answer rises toward
                poll.max_pull_interval; at it, a poll with nothing new is answered at once instead of held.
                """),
            .seconds(
                "poll.max_pull_interval", \.api.pollMaxPullInterval, in: 0...600,
                "The longest pull_interval (answered in milliseconds) the server asks pollers to wait between polls."),

            .int(
                "comment.max_length", \.api.maxCommentLength, 1...10000,
                """
                Longest comment, in Unicode scalars (code points, so combining marks count; Weibo's chat
                API allows 100); longer: code -4.
                """),

            .string(
                "spam.banned_words_file", \.bannedWordsFile,
                """
                Refusals are answered {"code":303,"message":...,"reason":"<rule>"} and reach nobody.
                The banned-word list: one word a line, # comments; matched after normalisation (NFKC,
                lower case, spaces/zero-width/punctuation removed). SIGHUP (`wlive config reload`) rereads it.
                """),
            .bool("spam.banned_words", \.spam.bannedWords, "Rule \"banned_word\" on/off."),
            .bool(
                "spam.contact", \.spam.contact,
                "Rule \"contact\": URLs, phone numbers, QQ/WeChat ids and their disguises (vx, 加微, 一三八...)."),
            .int(
                "spam.contact_min_digits", \.spam.minContactDigits, 3...32,
                "Digit runs at least this long count as a phone/QQ/WeChat number."),
            .int(
                "spam.rate_limit_count", \.spam.rateLimitCount, 1...1_000_000,
                "Rule \"rate_limit\": at most rate_limit_count comments per user and channel per rate_limit_window seconds."),
            .seconds("spam.rate_limit_window", \.spam.rateLimitWindow),
            .seconds(
                "spam.repeat_window", \.spam.repeatWindow,
                "Rule \"repeat\": the same user posting the same text again within repeat_window seconds."),
            .int(
                "spam.flood_count", \.spam.floodCount, 1...1_000_000,
                "Rule \"flood\": the same text accepted more than flood_count times in a channel within flood_window seconds."),
            .seconds("spam.flood_window", \.spam.floodWindow),

            .seconds(
                "wlive.handshake_timeout", \.handshakeTimeout,
                "Seconds a client has, after the upgrade, to send its Wlive handshake; after: close 4408."),
            ConfigurationKey(
                name: "wlive.sources",
                doc: """
                    Allowed values of the handshake's `source` (seed 000: 0-6, 20 = anonymous live viewer, 108);
                    any other source is refused with code -3.
                    """,
                defaultContent: { .intArray($0.session.allowedSources.sorted()) },
                read: { keys, config in
                    config.session.allowedSources = Set(try keys.ints("wlive.sources"))
                    config.api.allowedSources = config.session.allowedSources
                }),

            .int(
                "heartbeat.min_interval", \.session.heartbeat.minInterval, 1...86400,
                "The client's timer_interval is clamped into [min_interval, max_interval] seconds."),
            ConfigurationKey(
                name: "heartbeat.max_interval", doc: "", defaultContent: { .int($0.session.heartbeat.maxInterval) },
                read: { keys, config in
                    config.session.heartbeat.maxInterval = try keys.int(
                        "heartbeat.max_interval", config.session.heartbeat.minInterval...86400,
                        must: "be at least heartbeat.min_interval and at most 86400")
                }),
            .int(
                "heartbeat.dead_after", \.session.heartbeat.deadAfter, 1...100,
                "A connection with no frame and no pong for this many intervals is closed (4409)."),

            ConfigurationKey(
                name: "fanout.ring_capacity",
                doc: """
                    Entries in each channel's ring buffer (a power of two). A worker that falls further behind
                    than this skips ahead and sends its subscribers a `gap` notice naming the comments missed.
                    """,
                defaultContent: { .int($0.ringCapacity) },
                read: { keys, config in
                    let capacity = try keys.int(
                        "fanout.ring_capacity", 16...(1 << 20), must: "be a power of two from 16 to 1048576")
                    guard capacity & (capacity - 1) == 0 else {
                        throw ConfigurationError(key: "fanout.ring_capacity", problem: "\(capacity) must be a power of two")
                    }
                    config.ringCapacity = capacity
                }),
            .seconds(
                "fanout.max_delay", \.maxDelay, in: 0...1,
                """
                Batching comes from load, not from a clock: a viewer with nothing in flight gets news at
                once, what arrives while its write is in flight leaves together in its next write, and a
                worker takes everything new in a room in one pass. max_delay (seconds) adds an opt-in
                ceiling: a room written less than this long ago gathers until then. 0: never wait.
                """),
            .int(
                "fanout.max_pending_bytes", \.maxPendingBytes, 1024...(1 << 30),
                """
                Outbound bytes a connection may have queued before slow_consumer_policy applies. Also the
                most a peer may leave unread (pongs, errors) before the gateway stops reading from it.
                """),
            .choice(
                "fanout.slow_consumer_policy", \.slowConsumerPolicy,
                """
                disconnect: close the slow reader with 1013. skip: drop its messages while it is behind,
                then send it a `gap` notice naming the comments dropped.
                """),
            .int(
                "fanout.send_buffer", \.socketSendBuffer, 0...(64 << 20),
                """
                Kernel send buffer per WebSocket connection, in bytes; 0 leaves it to the kernel's autotuning
                (which can reach megabytes for a slow reader), except with slow_consumer_policy skip, where 0
                means 65536: skipped readers stay connected, and 1,000 stalled ones pinned 1.5 GiB of kernel
                memory with autotuned buffers. A fixed size bounds kernel memory per viewer.
                """),

            .choice(
                "store.kind", \.store.kind,
                """
                Where rooms, watchers and comments last. sqlite: one file (store.path); every comment answered
                with code 0 is in it, and survives a restart or kill -9. memory: nothing survives the process
                (for tests and embedding); comment history for resume is still kept, in memory.
                """),
            .string(
                "store.path", \.store.path,
                "The SQLite file, created with its folder on first start; relative paths start at the working directory."),
            .choice(
                "store.synchronous", \.store.synchronous,
                """
                normal: a commit survives a crash of the process; a power loss may take the last few.
                full: each commit (one per loop turn, however many comments) is synced to disk first.
                """),
            .int(
                "store.max_bytes", \.store.maxBytes, 0...(1 << 50),
                "The largest the store file may grow; at the limit changes are refused with code 100, as on a full disk. 0: no limit."
            ),
            .int(
                "history.max_per_channel", \.store.retention.maxPerChannel, 1...100_000_000,
                """
                Comments kept per room, newest first, for retrieveComments and for viewers resuming with
                since_seq; a viewer asking for older ones gets a `gap` notice with reason "retention".
                """),
            .seconds(
                "history.max_age", \.store.retention.maxAge, in: 0...(366 * 86400),
                "Seconds a comment is kept; 0: no age limit."),

            .string(
                "cluster.redis_url", \.cluster.redisURL, must: "be empty or redis://host[:port][/db]",
                """
                redis://host:port/db of the Redis that several nodes share rooms through (docs/CLUSTER.md).
                Empty: one node on its own store. Set: Redis keeps rooms, watchers, counts and history, and
                store.* is not used.
                """,
                where: { $0.isEmpty || RedisEndpoint(url: $0) != nil }),
            .string(
                "cluster.name", \.cluster.name,
                "Nodes with the same name on one Redis serve the same rooms; it prefixes every key (wlive:<name>:)."),
            .seconds(
                "cluster.command_timeout", \.cluster.commandTimeout, in: 0.05...60,
                """
                Seconds a Redis command may go unanswered: then the link is dropped and made again, and the
                calls waiting on it are answered 100 (nothing they asked for was acknowledged).
                """),
            .int(
                "cluster.max_pending", \.cluster.maxPending, 1...1_000_000,
                "Redis commands in flight at most; past it calls are refused with 100 at once, so a slow Redis costs bounded memory."
            ),
            .seconds(
                "cluster.reconnect_interval", \.cluster.reconnectInterval, in: 0.01...60,
                "Seconds between attempts to reach Redis again after the link dropped."),

            .seconds(
                "shutdown.timeout", \.shutdownTimeout,
                "Seconds a graceful shutdown waits for clients to answer the 1001 close before dropping them."),
            .seconds(
                "shutdown.drain_delay", \.shutdownDrainDelay, in: 0...3600,
                """
                Seconds a graceful shutdown (SIGTERM) first keeps serving everything while /readyz answers
                503, so the load balancer stops sending new clients before any is closed. 0: close at once.
                """),

            .bool(
                "admin.enabled", \.admin.enabled,
                """
                The admin port: GET /metrics (Prometheus), /healthz, /readyz, the operator page /admin and
                /openapi.yaml (docs/OPERATIONS.md). false also stops measuring publish-to-write latency.
                """),
            .string("admin.host", \.admin.host, "Address the admin port binds to; keep it private."),
            .int("admin.port", \.admin.port, 0...65535, "The admin port. 0 picks a free port."),
            .string(
                "admin.token", \.admin.token, must: "be a string",
                """
                Bearer token (or ?token=) the operator page and its data require; /metrics and the health
                checks stay open. Required when admin.host is not a loopback address.
                """, where: { _ in true }),

            .string(
                "log.level", \.logLevel, must: "be one of \(ConfigurationLoader.logLevels.joined(separator: ", "))",
                "trace, debug, info, notice, warning, error or critical.", where: { ConfigurationLoader.logLevels.contains($0) }),
            .choice(
                "log.format", \.logFormat,
                "text, or json: one JSON object a line. Lines about a request or a connection carry its channel and connection id."
            ),
        ]
    }

    /// config/wlive.yaml as the table says it: every key with its default and its doc.
    public static var defaultYAML: String {
        var lines = [
            "# Wlive gateway configuration: the default file `wlive serve` reads (override with --config).",
            "# Every key can also be set by an environment variable named WLIVE_ + the key in upper case with",
            "# dots as underscores (heartbeat.min_interval -> WLIVE_HEARTBEAT_MIN_INTERVAL), and some by flags.",
            "# Precedence, lowest first: built-in defaults < this file < environment < flags.",
            "# Generated from the key table (Sources/WliveConfig/ConfigurationKeys.swift): `wlive config defaults`.",
        ]
        var section: String?
        for key in all {
            let parts = key.name.split(separator: ".", maxSplits: 1).map(String.init)
            let group = parts.count == 2 ? parts[0] : nil
            // A blank line before each top-level key and each section.
            if group == nil || group != section { lines.append("") }
            if let group, group != section { lines.append("\(group):") }
            section = group
            let indent = group == nil ? "" : "  "
            if !key.doc.isEmpty {
                for line in key.doc.split(separator: "\n", omittingEmptySubsequences: false) {
                    lines.append("\(indent)# \(line)")
                }
            }
            lines.append("\(indent)\(parts.last!): \(key.defaultYAML)")
        }
        return lines.joined(separator: "\n") + "\n"
    }
}
