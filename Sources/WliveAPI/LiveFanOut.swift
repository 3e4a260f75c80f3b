import WliveCodec
import WliveProtocol
import WliveStore

/// What the API asks of the push tier. `Gateway` provides it; tests can record the calls.
public protocol LiveFanOut: AnyObject {
    /// A channel started, in its state (live, or not started when planned for later): handshakes
    /// for it are accepted from now on.
    func openChannel(_ channel: ChannelInfo)
    /// A channel ended in `state` (ended, banned, expired): subscribers get what was
    /// published, then a `status` notice, `channel_closed` and a close.
    func closeChannel(_ id: ChannelID, as state: ChannelState, reason: String)
    /// A room moved to a state that is not final (paused, live, abnormal): subscribers get a
    /// `status` notice; handshakes are still accepted, comments only while live.
    func changeState(_ id: ChannelID, to state: ChannelState, reason: String)
    /// Numbers a comment that passed every check (its id, `seq` and time) without delivering
    /// it, or says why the push tier refuses it (the channel unknown or closed there, ...).
    func prepare(
        channel: ChannelID, userID: String, source: Int, biz: String, content: String,
        extJSON: String, commentType: String
    ) -> Result<Comment, WliveResultCode>
    /// Delivers a prepared comment, once it is durable. Comments are delivered in `seq` order.
    func deliver(_ comment: Comment)
    /// A prepared comment could not be stored and was never acknowledged: its `seq` is free again.
    func withdraw(_ comment: Comment)
    /// The watcher counts changed (at most once a second per channel): tell the subscribers.
    func announceWatchers(channel: ChannelID, online: Int, total: Int)
    /// A moderator took comments back (`deleteComment`): the subscribers get `comment_deleted`,
    /// and no replay shows them again.
    func retract(_ id: ChannelID, comments: [(id: String, seq: UInt64)], reason: String)
    /// A moderator took back one user's comments since `since` (Unix ms): `comments_purged`.
    func purge(_ id: ChannelID, userID: String, source: Int, since: Int64)
    /// The room's modes or pinned comment changed (`pinned`: nil, unchanged; `.some(nil)`, unpinned).
    func changeModeration(_ id: ChannelID, modes: RoomModes?, pinned: Comment??)
    /// Likes came in (at most once a second per room): tell the subscribers the total and the delta.
    func announceLikes(channel: ChannelID, total: Int64, delta: Int64)
    /// A long-poll's read of what the room's subscribers were sent after the poller's place
    /// (`syncComments`): the same messages, in the same order, in the same encoding.
    func pollRead(_ id: ChannelID, cursor: UInt64?, since: UInt64, limit: Int) -> PollRead
}

/// What the push tier holds for a long-poll.
public enum PollRead: Sendable {
    /// The messages after the poller's place, oldest first (each a WebSocket text frame, whose
    /// payload is the message's JSON), the cursor of the next poll, the seq it then has, and
    /// whether more wait.
    case messages([SharedFrame], cursor: UInt64, nextSeq: UInt64, hasMore: Bool)
    /// The push tier no longer holds the poller's place: read history.
    case notHeld
}
