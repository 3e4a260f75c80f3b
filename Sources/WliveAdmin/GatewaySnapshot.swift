/// What the gateway's numbers are at one moment, gathered on the ingest loop when the admin
/// port is asked: plain values, so exporting and rendering them needs no gateway and no I/O.
public struct GatewaySnapshot: Sendable {
    /// One worker loop's counters (totals since start, except the gauges `connections` and `subscribers`).
    public struct Worker: Sendable, Equatable {
        public var connections = 0
        public var accepted = 0
        public var subscribers = 0
        public var delivered = 0
        public var writeCalls = 0
        public var coalescedWrites = 0
        public var bytesWritten = 0
        /// Messages compressed for permessage-deflate: about one per broadcast, whatever the audience.
        public var deflatedMessages = 0
        /// Gap notices sent, by reason (`overrun`, `slow`).
        public var gaps: [String: Int] = [:]
        /// Slow readers closed (`disconnect`) or skipped (`skip`).
        public var slowConsumerActions = 0
        public var refusedConnections = 0
        public var acceptPauses = 0
        /// Wlive handshakes answered, by result code (seed 000's table).
        public var handshakes: [Int: Int] = [:]
        /// WebSocket closes, by the close code sent (1006: ended without a close frame).
        public var closes: [Int: Int] = [:]

        public init() {}
    }

    /// One room, for the operator page.
    public struct Room: Sendable, Equatable, Codable {
        public var id: String
        public var status: String
        /// Sockets subscribed now, and the API's watcher counts (joinLive/leaveLive).
        public var connections: Int
        public var online: Int
        public var total: Int
        public var lastSeq: UInt64
        /// Comments per second over the last sampling interval.
        public var commentRate: Double
        public var delivered: Int

        public init(
            id: String, status: String, connections: Int, online: Int, total: Int, lastSeq: UInt64, commentRate: Double,
            delivered: Int
        ) {
            self.id = id
            self.status = status
            self.connections = connections
            self.online = online
            self.total = total
            self.lastSeq = lastSeq
            self.commentRate = commentRate
            self.delivered = delivered
        }
    }

    public var workers: [Worker] = []
    /// Open connections on the HTTP API port.
    public var apiConnections = 0
    public var latency = LatencySnapshot()
    public var liveChannels = 0
    public var closedChannels = 0
    /// Messages held in channel rings, and the rings' capacity in messages.
    public var ringMessages = 0
    public var ringCapacity = 0
    public var commentsAccepted = 0
    /// Comments refused with 303, by spam rule.
    public var spamRefusals: [String: Int] = [:]
    public var process = ProcessStatistics(
        cpuSeconds: 0, residentBytes: 0, openFileDescriptors: 0, maxFileDescriptors: 0, startTimeSeconds: 0)
    public var isReady = false

    public init() {}

    public var connections: Int { workers.reduce(0) { $0 + $1.connections } }
    public var delivered: Int { workers.reduce(0) { $0 + $1.delivered } }
}
