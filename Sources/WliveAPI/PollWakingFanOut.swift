import WliveProtocol
import WliveStore

/// The push tier as the API sees it: every call is forwarded, and whatever a room's subscribers
/// are sent (a comment, a notice, its end) then wakes its held long-polls, so pollers get the
/// same messages in one place rather than at each call site.
final class PollWakingFanOut: LiveFanOut {
    let base: any LiveFanOut
    /// Wakes a room's held polls; set by the API once it exists.
    var wake: (ChannelID) -> Void = { _ in }

    init(_ base: any LiveFanOut) { self.base = base }

    func openChannel(_ channel: ChannelInfo) { base.openChannel(channel) }

    func closeChannel(_ id: ChannelID, as state: ChannelState, reason: String) {
        base.closeChannel(id, as: state, reason: reason)
        wake(id)
    }

    func changeState(_ id: ChannelID, to state: ChannelState, reason: String) {
        base.changeState(id, to: state, reason: reason)
        wake(id)
    }

    func prepare(
        channel: ChannelID, userID: String, source: Int, biz: String, content: String, extJSON: String, commentType: String
    ) -> Result<Comment, WliveResultCode> {
        base.prepare(
            channel: channel, userID: userID, source: source, biz: biz, content: content, extJSON: extJSON,
            commentType: commentType)
    }

    func deliver(_ comment: Comment) {
        base.deliver(comment)
        wake(comment.channelID)
    }

    func withdraw(_ comment: Comment) { base.withdraw(comment) }

    func announceWatchers(channel: ChannelID, online: Int, total: Int) {
        base.announceWatchers(channel: channel, online: online, total: total)
        wake(channel)
    }

    func retract(_ id: ChannelID, comments: [(id: String, seq: UInt64)], reason: String) {
        base.retract(id, comments: comments, reason: reason)
        wake(id)
    }

    func purge(_ id: ChannelID, userID: String, source: Int, since: Int64) {
        base.purge(id, userID: userID, source: source, since: since)
        wake(id)
    }

    func changeModeration(_ id: ChannelID, modes: RoomModes?, pinned: Comment??) {
        base.changeModeration(id, modes: modes, pinned: pinned)
        wake(id)
    }

    func announceLikes(channel: ChannelID, total: Int64, delta: Int64) {
        base.announceLikes(channel: channel, total: total, delta: delta)
        wake(channel)
    }

    func pollRead(_ id: ChannelID, cursor: UInt64?, since: UInt64, limit: Int) -> PollRead {
        base.pollRead(id, cursor: cursor, since: since, limit: limit)
    }
}
