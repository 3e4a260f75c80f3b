import WliveAPI
import WliveCluster
import WliveProtocol
import WliveStore

/// The push tier when the gateway is one node of several: what changes a room's push tier is
/// done here at once and told to the other nodes over the bus, behind the store changes it
/// follows. Comments reach the rings from the bus (`ClusterLink`), never from here.
final class ClusterFanOut: LiveFanOut {
    let local: GatewayFanOut
    unowned let link: ClusterLink

    init(local: GatewayFanOut, link: ClusterLink) {
        self.local = local
        self.link = link
    }

    func openChannel(_ channel: ChannelInfo) {
        local.openChannel(channel)
        link.order.follow(channel.id, deliveredThrough: 0)
        link.journal.broadcast(.opened(channel))
    }

    func closeChannel(_ id: ChannelID, as state: ChannelState, reason: String) {
        local.closeChannel(id, as: state, reason: reason)
        link.order.forget(id)
        link.journal.broadcast(.closed(id, state: state, reason: reason))
    }

    func changeState(_ id: ChannelID, to state: ChannelState, reason: String) {
        local.changeState(id, to: state, reason: reason)
        link.journal.broadcast(.stateChanged(id, state: state, reason: reason))
    }

    func prepare(
        channel: ChannelID, userID: String, source: Int, biz: String, content: String, extJSON: String, commentType: String
    ) -> Result<Comment, WliveResultCode> {
        local.prepare(
            channel: channel, userID: userID, source: source, biz: biz, content: content, extJSON: extJSON,
            commentType: commentType)
    }

    func deliver(_ comment: Comment) { local.deliver(comment) }

    func withdraw(_ comment: Comment) { local.withdraw(comment) }

    func announceWatchers(channel: ChannelID, online: Int, total: Int) {
        local.announceWatchers(channel: channel, online: online, total: total)
    }

    func retract(_ id: ChannelID, comments: [(id: String, seq: UInt64)], reason: String) {
        local.retract(id, comments: comments, reason: reason)
        link.journal.broadcast(
            .retracted(id, comments: comments.map { RetractedComment(id: $0.id, seq: $0.seq) }, reason: reason))
    }

    func purge(_ id: ChannelID, userID: String, source: Int, since: Int64) {
        local.purge(id, userID: userID, source: source, since: since)
        link.journal.broadcast(.purged(id, userID: userID, source: source, since: since))
    }

    func changeModeration(_ id: ChannelID, modes: RoomModes?, pinned: Comment??) {
        local.changeModeration(id, modes: modes, pinned: pinned)
        link.journal.broadcast(.moderated(id, modes: modes, pin: PinChange(pinned)))
    }

    func announceLikes(channel: ChannelID, total: Int64, delta: Int64) {
        local.announceLikes(channel: channel, total: total, delta: delta)
    }

    func pollRead(_ id: ChannelID, cursor: UInt64?, since: UInt64, limit: Int) -> PollRead {
        local.pollRead(id, cursor: cursor, since: since, limit: limit)
    }
}
