import WliveProtocol
import WliveStore

/// The facet of the API that takes in what the other nodes of a cluster did: their changes to
/// rooms, watchers and bans, their likes, their anchors' presence, their comments for the spam
/// rules. Nothing of it is recorded again: the node that made a change kept it.
extension LiveAPI {
    /// Another node changed the read model.
    public func applyReplicated(_ change: StoreChange) {
        let before: ChannelInfo?
        switch change {
        case .channel(let info): before = try? store.channel(info.id)
        default: before = nil
        }
        guard let after = store.replicate(change) else {
            if case .ban(let ban) = change { restoreBans([ban]) }
            return
        }
        switch change {
        case .channel:
            let owner = CallerIdentity.key(source: after.ownerSource, userID: after.ownerUserID)
            if before == nil, !after.state.isFinal { countOpened(owner: owner) }
            if let before, !before.state.isFinal, after.state.isFinal { countClosed(owner: owner) }
            if before?.state != after.state { roomTimers.track(after) }
        case .watcher, .watchersCleared:
            watchersChanged(after.id)
        default:
            break
        }
    }

    /// Another node took `count` likes for a room: the total grows here too, and this node's
    /// viewers hear of them in its next likes notice.
    public func applyReplicatedLikes(_ id: ChannelID, count: Int64) {
        guard store.replicateLikes(id, count: count) != nil else { return }
        pendingLikes[id, default: 0] += count
    }

    /// The room's anchor is present on another node.
    public func applyReplicatedPresence(_ id: ChannelID) {
        guard let channel = try? store.channel(id), !channel.state.isFinal else { return }
        roomTimers.anchorSeen(channel, at: wallClock())
    }

    /// A comment another node accepted counts for the stateful spam rules here as well, so
    /// that posting through several nodes does not multiply a user's allowance.
    public func observeReplicated(_ comment: Comment) {
        spam.observe(
            channel: comment.channelID.rawValue, user: CallerIdentity.key(source: comment.source, userID: comment.userID),
            content: comment.content, now: monotonicClock())
    }

    /// Once a second: rooms whose anchor's socket is open on this node tell the others.
    func announcePresence() {
        guard let replication else { return }
        for id in roomTimers.roomsWithAnchorSockets { replication.anchorPresent(id) }
    }
}
