import Foundation
import Logging
import WliveAPI
import WliveCluster
import WliveProtocol
import WliveStore

/// This node's part in a cluster, on the ingest loop: two Redis links (commands, and the
/// bus subscription), comments numbered by the append script, and what the bus brings applied
/// to this node's read model and rings in Redis's order (`ClusterLink+Bus`).
final class ClusterLink: LiveReplication {
    let settings: ClusterSettings
    let keys: ClusterKeys
    /// This process's name on the bus: its own events come back and are skipped.
    let node: String
    let commands: RedisConnection
    let subscriber: RedisConnection
    let journal: RedisJournal
    let engine: FanOutEngine
    /// Its kept pages go stale when comments are taken back; set once made (it reads through `journal`).
    var history: HistoryReader!
    let retention: RetentionPolicy
    let logger: Logger
    unowned var api: LiveAPI!
    var order = DeliveryOrder()
    /// Acknowledgements of this node's comments waiting for the bus to bring them here, so
    /// that a code 0 means the comment is in this node's rings too.
    var waitingAcks: [ChannelID: [WaitingAck]] = [:]
    /// Whether the bus subscription is up (then the comments of every room reach this node).
    var isSubscribed = false
    /// Signalled when the subscription first comes up: `Gateway.start` returns after it.
    let subscribedOnce = DispatchSemaphore(value: 0)
    /// When `expireHistory` next sweeps (monotonic seconds).
    private var nextExpiry = 0.0

    struct WaitingAck {
        var comment: Comment
        var since: Double
        var completion: (Result<Comment, WliveResultCode>) -> Void
    }

    init(
        settings: ClusterSettings, endpoint: RedisEndpoint, loop: EventLoop, engine: FanOutEngine,
        retention: RetentionPolicy, logger: Logger
    ) {
        self.settings = settings
        keys = ClusterKeys(cluster: settings.name)
        node = String(UInt64.random(in: 1...UInt64.max), radix: 36)
        commands = RedisConnection(
            loop: loop.uv, endpoint: endpoint, timeout: settings.commandTimeout, reconnectInterval: settings.reconnectInterval)
        subscriber = RedisConnection(
            loop: loop.uv, endpoint: endpoint, timeout: settings.commandTimeout, reconnectInterval: settings.reconnectInterval)
        journal = RedisJournal(redis: commands, keys: keys, node: node, maxPending: settings.maxPending)
        self.engine = engine
        self.retention = retention
        self.logger = logger
        commands.onConnect = { [unowned self] in
            for script in ClusterScripts.all { commands.send(["SCRIPT", "LOAD", script.source]) { _ in } }
            logger.info("cluster: Redis link up", metadata: ["redis": "\(endpoint)"])
        }
        commands.onDisconnect = { logger.warning("cluster: Redis link down; calls that change anything answer 100") }
        subscriber.onConnect = { [unowned self] in
            subscriber.subscribe(keys.bus, subscribed: { [unowned self] in busUp() }, message: { [unowned self] in received($0) })
        }
        subscriber.onDisconnect = { [unowned self] in isSubscribed = false }
    }

    /// Follows the rooms loaded at start from their newest seq.
    func follow(_ rooms: [StoredChannel]) {
        for room in rooms where !room.info.state.isFinal { order.follow(room.info.id, deliveredThrough: room.lastSeq) }
    }

    /// Every tick of the ingest loop: the links' clocks, and acknowledgements waiting too long.
    func tick() {
        let now = monotonicSeconds()
        commands.tick(now: now)
        subscriber.tick(now: now)
        expireHistory(now: now)
        // A comment Redis kept is acknowledged even if the bus is slow to bring it back here.
        for (id, waiting) in waitingAcks where waiting.contains(where: { now - $0.since >= settings.commandTimeout }) {
            let (late, rest) = (
                waiting.filter { now - $0.since >= settings.commandTimeout },
                waiting.filter { now - $0.since < settings.commandTimeout }
            )
            waitingAcks[id] = rest.isEmpty ? nil : rest
            for ack in late { ack.completion(.success(ack.comment)) }
        }
    }

    /// `history.max_age` on Redis: every quarter of it (a minute at most) each followed room's
    /// stream drops what is older, oldest first (the count retention is the append script's MAXLEN). Every node does
    /// it; a second sweep of a room finds nothing to drop and costs one XRANGE.
    private func expireHistory(now: Double) {
        guard now >= nextExpiry, commands.isConnected, let cutoff = retention.ageCutoff(now: wallClockMilliseconds())
        else { return }
        nextExpiry = now + min(60, max(0.25, retention.maxAge / 4))
        for id in order.followedRooms {
            commands.send(["EVALSHA", ClusterScripts.expire.sha, "1", keys.history(id), String(cutoff), "1000"]) { _ in }
        }
    }

    func close() {
        commands.close()
        subscriber.close()
    }

    var isIdle: Bool { journal.isIdle && waitingAcks.isEmpty }

    // MARK: LiveReplication

    func append(_ comment: Comment, completion: @escaping (Result<Comment, WliveResultCode>) -> Void) {
        let id = comment.channelID
        guard commands.isConnected, commands.pendingCount < settings.maxPending, let room = engine.channels.lookup(id) else {
            return completion(.failure(.internalError))
        }
        let record = CommentRecord(
            channel: id, epoch: room.epoch, userID: comment.userID, source: comment.source, biz: comment.biz,
            extJSON: comment.extJSON, content: comment.content, commentType: comment.commentType, time: comment.time)
        let arguments: [[UInt8]] = [
            Array("EVALSHA".utf8), Array(ClusterScripts.append.sha.utf8), Array("3".utf8), Array(keys.seq(id).utf8),
            Array(keys.history(id).utf8), Array(keys.info(id).utf8), Array(keys.bus.utf8), Array(node.utf8), record.json,
            Array(String(retention.maxPerChannel).utf8), Array("\(comment.source):\(comment.userID)".utf8),
            Array(String(comment.time).utf8),
        ]
        let sent = commands.send(arguments) { [weak self] reply in
            guard let self, let seq = reply?.integer, seq > 0 else {
                return completion(.failure(reply?.integer == -1 ? .channelNotFound : .internalError))
            }
            let numbered = record.numbered(UInt64(seq))
            if let delivered = order.delivered(id), delivered >= numbered.seq { return completion(.success(numbered)) }
            waitingAcks[id, default: []].append(WaitingAck(comment: numbered, since: monotonicSeconds(), completion: completion))
        }
        if !sent { completion(.failure(.internalError)) }
    }

    func liked(_ id: ChannelID, count: Int64) { journal.recordLikes(id, count: count) }

    func anchorPresent(_ id: ChannelID) { journal.broadcast(.anchorPresent(id)) }
}
