import WliveAPI
import WliveEngine
import WliveProtocol
import WliveStore

/// The API's view of the push tier. Both live on the ingest loop, so these are direct calls.
final class GatewayFanOut: LiveFanOut {
    unowned let engine: FanOutEngine
    /// Its kept pages go stale when comments are taken back.
    let history: HistoryReader

    init(engine: FanOutEngine, history: HistoryReader) {
        self.engine = engine
        self.history = history
    }

    func openChannel(_ channel: ChannelInfo) {
        engine.channels.open(channel.id, epoch: channel.epoch, state: channel.state, moderation: RoomModeration(channel))
    }

    func retract(_ id: ChannelID, comments: [(id: String, seq: UInt64)], reason: String) {
        history.forget(id)
        engine.retract(id, comments: comments, reason: reason)
    }

    func purge(_ id: ChannelID, userID: String, source: Int, since: Int64) {
        history.forget(id)
        engine.purge(id, userID: userID, source: source, since: since)
    }

    func changeModeration(_ id: ChannelID, modes: RoomModes?, pinned: Comment??) {
        engine.changeModeration(id, modes: modes, pinned: pinned)
    }

    func closeChannel(_ id: ChannelID, as state: ChannelState, reason: String) {
        _ = engine.close(id, as: state, reason: reason)
    }

    func changeState(_ id: ChannelID, to state: ChannelState, reason: String) {
        _ = engine.changeState(id, to: state, reason: reason)
    }

    func prepare(
        channel: ChannelID, userID: String, source: Int, biz: String, content: String,
        extJSON: String, commentType: String
    ) -> Result<Comment, WliveResultCode> {
        engine.prepare(
            .init(
                channelID: channel, userID: userID, source: source, biz: biz, content: content,
                extJSON: extJSON, commentType: commentType))
    }

    func deliver(_ comment: Comment) { engine.deliver(comment) }

    func withdraw(_ comment: Comment) { engine.withdraw(comment) }

    func announceWatchers(channel: ChannelID, online: Int, total: Int) {
        engine.announceWatchers(channel: channel, online: online, total: total)
    }

    func announceLikes(channel: ChannelID, total: Int64, delta: Int64) {
        engine.announceLikes(channel: channel, total: total, delta: delta)
    }

    func pollRead(_ id: ChannelID, cursor: UInt64?, since: UInt64, limit: Int) -> PollRead {
        guard let record = engine.channels.lookup(id) else { return .notHeld }
        switch record.ring.pollRead(
            cursor: cursor, since: since, lastSeq: record.lastSeq, limit: limit, channel: id, now: wallClockMilliseconds())
        {
        case .notInRing: return .notHeld
        case .entries(let entries, let cursor, let nextSeq, let hasMore):
            return .messages(entries.map(\.frame), cursor: cursor, nextSeq: nextSeq, hasMore: hasMore)
        }
    }
}

extension RoomModeration {
    /// What the push tier keeps of a room's record: its modes, pin, privacy and owner.
    init(_ channel: ChannelInfo) {
        self.init(
            modes: channel.modes, pinned: channel.pinned, isPrivate: channel.isPrivate, ownerUserID: channel.ownerUserID,
            ownerSource: channel.ownerSource)
    }
}
