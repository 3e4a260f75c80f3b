import Foundation
import WliveCluster
import WliveProtocol
import WliveStore

/// The ingest loop's journal when Redis is the store (`cluster.redis_url`): each change is
/// written to the room's keys and, for the other nodes, published on the bus, as it is
/// recorded (hiredis sends what one loop turn queued in one write). The calls that wait for
/// them are answered once every reply of their changes came back; any error or a dropped link
/// answers them 100.
final class RedisJournal: StoreJournal {
    let redis: RedisConnection
    let keys: ClusterKeys
    let node: String
    /// `cluster.max_pending`: past it a change fails at once (code 100) instead of queueing.
    let maxPending: Int
    private(set) var recordedCount = 0

    /// Changes recorded since the last `whenDurable`, then batches waiting for replies: replies
    /// come back in the order commands went out, so each belongs to the oldest open batch.
    private final class Batch {
        var outstanding = 0
        var failed = false
        var callbacks: [(Bool) -> Void] = []
        var isClosed = false
    }
    private var batches: [Batch] = [Batch()]

    init(redis: RedisConnection, keys: ClusterKeys, node: String, maxPending: Int) {
        self.maxPending = maxPending
        self.redis = redis
        self.keys = keys
        self.node = node
    }

    /// Nothing waits for Redis.
    var isIdle: Bool { batches.allSatisfy { $0.outstanding == 0 && $0.callbacks.isEmpty } }

    func record(_ change: StoreChange) {
        recordedCount += 1
        switch change {
        case .channel(let info):
            write(["SET", keys.info(info.id), json(info)])
            write(["SADD", keys.rooms, info.id.description])
            broadcast(.change(change))
        case .watcher(let id, let watcher, let online):
            write(["HSET", keys.watchers(id), "\(watcher.source):\(watcher.userID)", (online ? "1" : "0") + json(watcher)])
            broadcast(.change(change))
        case .watchersCleared(let id):
            write(["DEL", keys.watchers(id)])
            broadcast(.change(change))
        case .retraction(let id, let seqs):
            guard !seqs.isEmpty else { return }
            write(["XDEL", keys.history(id)] + seqs.map { "\($0)-0" })
            write(["ZADD", keys.retracted(id)] + seqs.flatMap { [String($0), String($0)] })
        case .purge(let id, let userID, let source, let since):
            write([
                "EVALSHA", ClusterScripts.purge.sha, "2", keys.history(id), keys.retracted(id), "\(source):\(userID)",
                String(since),
            ])
        case .ban(let ban):
            write(["HSET", keys.bans, ban.key, json(ban)])
            broadcast(.change(change))
        case .comment:
            // Comments are numbered, kept and published by the append script (ClusterLink).
            break
        }
    }

    /// Adds to a room's likes in Redis and tells the other nodes, in the current batch.
    func recordLikes(_ id: ChannelID, count: Int64) {
        write(["INCRBY", keys.likes(id), String(count)])
        broadcast(.liked(id, count: count))
    }

    /// Publishes an event for the other nodes, in the current batch.
    func broadcast(_ event: ClusterEvent) {
        write([Array("PUBLISH".utf8), Array(keys.bus.utf8), BusMessage.encode(event, origin: node)])
    }

    private func write(_ arguments: [String]) { write(arguments.map { Array($0.utf8) }) }

    private func write(_ arguments: [[UInt8]]) {
        let batch = batches[batches.count - 1]
        guard
            redis.pendingCount < maxPending,
            redis.send(arguments, reply: { [weak self] reply in self?.replied(failed: reply == nil || reply!.isError) })
        else {
            batch.failed = true
            return
        }
        batch.outstanding += 1
    }

    private func replied(failed: Bool) {
        guard let batch = batches.first(where: { $0.outstanding > 0 }) else { return }
        batch.outstanding -= 1
        if failed { batch.failed = true }
        settle()
    }

    func whenDurable(_ body: @escaping (Bool) -> Void) {
        let batch = batches[batches.count - 1]
        batch.callbacks.append(body)
        batch.isClosed = true
        batches.append(Batch())
        settle()
    }

    /// Answers the closed batches at the front whose replies are all in.
    private func settle() {
        while batches.count > 1, batches[0].isClosed, batches[0].outstanding == 0 {
            let done = batches.removeFirst()
            for callback in done.callbacks { callback(!done.failed) }
        }
    }

    func comments(
        of channel: ChannelID, after seq: UInt64, limit: Int, completion: @escaping (Result<CommentPage, StoreError>) -> Void
    ) {
        let sent = redis.send(
            [
                "EVALSHA", ClusterScripts.read.sha, "3", keys.seq(channel), keys.history(channel), keys.retracted(channel),
                String(seq), String(limit),
            ]
        ) { reply in
            guard let reply, let page = RedisJournal.page(reply) else {
                return completion(.failure(StoreError("Redis could not read the history of room \(channel)")))
            }
            completion(.success(page))
        }
        if !sent { completion(.failure(StoreError("Redis is not reachable"))) }
    }

    /// The read script's answer as a page.
    static func page(_ reply: RedisReply) -> CommentPage? {
        guard case .array(let parts) = reply, parts.count == 4, let last = parts[0].integer, let oldest = parts[1].integer,
            case .array(let flat) = parts[2], case .array(let gone) = parts[3]
        else { return nil }
        var comments: [Comment] = []
        var index = 0
        while index + 1 < flat.count {
            guard let seq = flat[index].integer, case .string(let json) = flat[index + 1],
                let comment = CommentRecord.comment(seq: UInt64(seq), json: json)
            else { return nil }
            comments.append(comment)
            index += 2
        }
        return CommentPage(
            comments: comments, oldestRetained: oldest > 0 ? UInt64(oldest) : nil, lastSeq: UInt64(max(0, last)),
            retracted: gone.compactMap { $0.integer.map { UInt64($0) } })
    }

    private func json(_ value: some Encodable) -> String {
        String(decoding: try! JSONEncoder().encode(value), as: UTF8.self)
    }
}

extension UserBan {
    /// The ban's field in the cluster's bans hash: one per room (or everywhere) and user.
    var key: String { "\(channel.map(\.description) ?? "*"):\(source):\(userID)" }
}
