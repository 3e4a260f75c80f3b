import WliveProtocol
import WliveStore

/// Likes (seed 004, Weibo's `total_stars`): a durable total per room, pushed as one coalesced
/// notice a second per room however many likes came in.
extension LiveAPI {
    /// `sendLike`: `count` likes (1–100) for a live room; answers the room's new total.
    func sendLike(_ fields: RequestFields) throws -> APIReply {
        let caller = try checkFields(fields)
        let id = try channelID(fields)
        let countText = try optional(fields, "count", limit: 4)
        guard let count = countText.isEmpty ? 1 : Int64(countText), (1...100).contains(count) else {
            throw APIReply.failure(.invalidParameter, "count must be an integer from 1 to 100")
        }
        try checkLogin(fields, caller)
        _ = try liveChannel(id)
        guard let liked = try store.update(id, { $0.totalLikes += count }) else { throw APIReply.failure(.channelNotFound) }
        pendingLikes[id, default: 0] += count
        replication?.liked(id, count: count)
        return APIReply(code: .success, fields: [("total_likes", Array(String(liked.totalLikes).utf8))])
    }

    /// One likes notice per room liked since the last flush: O(rooms liked), whatever the likes.
    func flushLikes() {
        guard !pendingLikes.isEmpty else { return }
        for (id, delta) in pendingLikes {
            guard let channel = try? store.channel(id), !channel.state.isFinal else { continue }
            fanOut.announceLikes(channel: id, total: channel.totalLikes, delta: delta)
        }
        pendingLikes.removeAll(keepingCapacity: true)
    }
}
