import Foundation

/// The JSON the operator page polls (`/admin/stats`): figures now, rates over the last minutes,
/// latency percentiles, refusals and the top rooms.
public struct StatsDocument: Codable, Sendable, Equatable {
    public struct Latency: Codable, Sendable, Equatable {
        /// Over the last minute; seconds (bucket upper bounds), nil without observations.
        public var p50: Double?
        public var p90: Double?
        public var p99: Double?
        public var p999: Double?
        public var count: Int
    }

    public var time: Int64
    public var uptimeSeconds: Double
    public var ready: Bool
    public var connections: Int
    public var apiConnections: Int
    public var subscribers: Int
    public var liveRooms: Int
    public var closedRooms: Int
    public var commentsAccepted: Int
    public var deliveries: Int
    public var gaps: Int
    public var refusals: [String: Int]
    public var latency: Latency
    public var rates: [StatsHistory.Rate]
    public var topByViewers: [GatewaySnapshot.Room]
    public var topByCommentRate: [GatewaySnapshot.Room]
    public var residentBytes: Int
    public var cpuSeconds: Double

    /// - Parameters:
    ///   - rooms: every live room; the document keeps the `top` by viewers and by comment rate.
    public init(snapshot: GatewaySnapshot, history: StatsHistory, rooms: [GatewaySnapshot.Room], top: Int = 10, now: Double) {
        time = Int64(now * 1000)
        uptimeSeconds = now - snapshot.process.startTimeSeconds
        ready = snapshot.isReady
        connections = snapshot.connections
        apiConnections = snapshot.apiConnections
        subscribers = snapshot.workers.reduce(0) { $0 + $1.subscribers }
        liveRooms = snapshot.liveChannels
        closedRooms = snapshot.closedChannels
        commentsAccepted = snapshot.commentsAccepted
        deliveries = snapshot.delivered
        gaps = snapshot.workers.reduce(0) { $0 + $1.gaps.values.reduce(0, +) }
        refusals = snapshot.spamRefusals
        let recent = history.recentLatency(seconds: 60, now: snapshot.latency)
        latency = Latency(
            p50: recent.quantile(0.5), p90: recent.quantile(0.9), p99: recent.quantile(0.99), p999: recent.quantile(0.999),
            count: recent.count)
        rates = history.rates
        topByViewers = rooms.sorted { ($0.connections, $0.online, $0.id) > ($1.connections, $1.online, $1.id) }
            .prefix(top).map { $0 }
        topByCommentRate = rooms.filter { $0.commentRate > 0 }
            .sorted { ($0.commentRate, $0.id) > ($1.commentRate, $1.id) }.prefix(top).map { $0 }
        residentBytes = snapshot.process.residentBytes
        cpuSeconds = snapshot.process.cpuSeconds
    }

    /// Encoded with snake_case keys, as every other Wlive JSON.
    public func encoded() -> [UInt8] { Self.encode(self) }

    static func encode(_ value: some Encodable) -> [UInt8] {
        let encoder = JSONEncoder()
        encoder.keyEncodingStrategy = .convertToSnakeCase
        encoder.outputFormatting = [.sortedKeys]
        encoder.nonConformingFloatEncodingStrategy = .convertToString(
            positiveInfinity: "Infinity", negativeInfinity: "-Infinity", nan: "NaN")
        return Array((try? encoder.encode(value)) ?? Data("{}".utf8))
    }
}

/// One room's detail for the operator page (`/admin/rooms/<id>`): its figures and its last
/// comments, as subscribers received them.
public struct RoomDocument: Sendable {
    public var room: GatewaySnapshot.Room
    /// The JSON text of each recent comment message, oldest first.
    public var comments: [[UInt8]]

    public init(room: GatewaySnapshot.Room, comments: [[UInt8]]) {
        self.room = room
        self.comments = comments
    }

    public func encoded() -> [UInt8] {
        var json = Array(#"{"room":"#.utf8) + StatsDocument.encode(room)
        json += Array(#","comments":["#.utf8)
        for (index, comment) in comments.enumerated() {
            if index > 0 { json.append(UInt8(ascii: ",")) }
            json += comment
        }
        json += Array("]}".utf8)
        return json
    }
}
