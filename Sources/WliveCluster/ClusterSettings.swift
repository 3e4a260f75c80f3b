/// Several gateway nodes sharing rooms through one Redis (`cluster.*`).
public struct ClusterSettings: Sendable, Equatable {
    /// `redis://host:port/db`; empty: a single node, as without a cluster.
    public var redisURL = ""
    /// Nodes with the same name on the same Redis serve the same rooms; the name prefixes every key.
    public var name = "wlive"
    /// Seconds a Redis command may go unanswered before the link is dropped, what waits on it
    /// answered 100, and the link made again.
    public var commandTimeout = 2.0
    /// Commands in flight to Redis at most; past this a call is refused with 100 at once
    /// rather than queued, so a slow Redis costs bounded memory.
    public var maxPending = 10_000
    /// Seconds between attempts to reach Redis again after the link dropped.
    public var reconnectInterval = 0.25

    public init() {}

    public var isEnabled: Bool { !redisURL.isEmpty }
}

/// Where Redis listens, from `cluster.redis_url`.
public struct RedisEndpoint: Sendable, Equatable, CustomStringConvertible {
    public var host: String
    public var port: Int
    public var database: Int

    public init(host: String, port: Int = 6379, database: Int = 0) {
        self.host = host
        self.port = port
        self.database = database
    }

    /// Parses `redis://host[:port][/db]`; nil for anything else (no user, password or TLS yet).
    public init?(url: String) {
        guard url.hasPrefix("redis://") else { return nil }
        let rest = url.dropFirst("redis://".count)
        let parts = rest.split(separator: "/", maxSplits: 1, omittingEmptySubsequences: false)
        let authority = parts[0]
        guard !authority.isEmpty, !authority.contains("@") else { return nil }
        let hostAndPort = authority.split(separator: ":", omittingEmptySubsequences: false)
        guard hostAndPort.count <= 2, !hostAndPort[0].isEmpty else { return nil }
        host = String(hostAndPort[0])
        if hostAndPort.count == 2 {
            guard let port = Int(hostAndPort[1]), (1...65535).contains(port) else { return nil }
            self.port = port
        } else {
            port = 6379
        }
        if parts.count == 2, !parts[1].isEmpty {
            guard let database = Int(parts[1]), database >= 0 else { return nil }
            self.database = database
        } else {
            database = 0
        }
    }

    public var description: String { "redis://\(host):\(port)/\(database)" }
}
