import WliveCodec
import WliveProtocol
import WliveStore

/// The room life-cycle of seed 001 (docs/ROOM_STATES.md): the owner pauses and resumes, the
/// anchor keeps a presence, an admin bans; the clocks expire planned rooms and end rooms whose
/// anchor never came back.
extension LiveAPI {
    /// `pauseLive`: the owner pauses a live room (101 → 105); comments wait for `resumeLive`.
    func pauseLive(_ fields: RequestFields) throws -> APIReply {
        let channel = try ownedChannel(fields)
        return try stateReply(move(channel, .pause, reason: try reason(fields, or: "paused by owner")))
    }

    /// `resumeLive`: the owner makes a paused room live again, or a planned one live at last.
    func resumeLive(_ fields: RequestFields) throws -> APIReply {
        let channel = try ownedChannel(fields)
        let event: RoomEvent = channel.state == .notStarted ? .goLive : .resume
        return try stateReply(move(channel, event, reason: try reason(fields, or: "resumed by owner")))
    }

    /// `anchorHeartbeat`: the owner's anchor is still there. The first one starts the watch on
    /// its silence (`live.anchor_timeout`); one in a planned room makes it live, one in an
    /// abnormal room makes it live again.
    func anchorHeartbeat(_ fields: RequestFields) throws -> APIReply {
        var channel = try ownedChannel(fields)
        let now = wallClock()
        switch channel.state {
        case .notStarted: channel = try move(channel, .goLive, reason: "anchor went live")
        case .abnormal: channel = try move(channel, .anchorBack, reason: "anchor back")
        default: break
        }
        roomTimers.anchorSeen(channel, at: now)
        replication?.anchorPresent(channel.id)
        return stateReply(channel)
    }

    /// The anchor's own socket (a handshake with the owner's user id and login token) opened or
    /// closed: a presence like `anchorHeartbeat`'s, for as long as it stays open. The push tier
    /// calls this; an unknown or finished room is ignored.
    public func anchorSocket(_ id: ChannelID, connected: Bool) {
        guard var channel = try? store.channel(id), !channel.state.isFinal else { return }
        do {
            if connected, channel.state == .notStarted { channel = try move(channel, .goLive, reason: "anchor went live") }
            if connected, channel.state == .abnormal { channel = try move(channel, .anchorBack, reason: "anchor back") }
        } catch {
            logger.error("room state change failed", metadata: ["channel": "\(id)", "error": "\(error)"])
        }
        roomTimers.anchorSocket(channel, connected: connected, at: wallClock())
    }

    /// `banLive`: an admin ends a room for good (104); its viewers are closed with the reason.
    func banLive(_ fields: RequestFields) throws -> APIReply {
        _ = try authenticateAdmin(fields)
        let channel = try activeChannel(try channelID(fields))
        return try stateReply(move(channel, .ban, reason: try reason(fields, or: "banned by an admin")))
    }

    /// Applies the events whose time has come: rooms whose anchor went silent, whose grace ran
    /// out, whose plan ended. The loop calls it once a second.
    func tickRooms() {
        for (id, event) in roomTimers.due(now: wallClock()) {
            guard let channel = try? store.channel(id) else { continue }
            let reason: String
            switch event {
            case .anchorLost: reason = "anchor silent"
            case .graceExpired: reason = "abnormal timeout"
            case .planExpired: reason = "plan ended before the anchor went live"
            default: reason = event.rawValue
            }
            do { _ = try move(channel, event, reason: reason) } catch {
                logger.error("room state change failed", metadata: ["channel": "\(id)", "error": "\(error)"])
            }
        }
    }

    /// Moves a room by `event`, in the store and then, once that is durable, in the push tier
    /// (behind comments already on their way, which the viewers get first). Code 2, naming the
    /// state, when the event does not apply to it.
    @discardableResult
    func move(_ channel: ChannelInfo, _ event: RoomEvent, reason: String) throws -> ChannelInfo {
        guard let next = channel.state.after(event) else {
            throw APIReply.failure(
                .channelClosed,
                "the channel is \(channel.state.name) (\(channel.state.rawValue)): \(event.rawValue) does not apply")
        }
        let now = wallClock()
        let moved: ChannelInfo?
        if next.isFinal {
            moved = try store.close(channel.id, as: next, releaseTime: now, reason: reason)
            countClosed(owner: CallerIdentity.key(source: channel.ownerSource, userID: channel.ownerUserID))
            journal.whenDurable { [fanOut] _ in fanOut.closeChannel(channel.id, as: next, reason: reason) }
        } else {
            moved = try store.update(channel.id) { info in
                info.state = next
                info.stateSince = now
            }
            journal.whenDurable { [fanOut] _ in fanOut.changeState(channel.id, to: next, reason: reason) }
        }
        guard let moved else { throw APIReply.failure(.channelNotFound) }
        roomTimers.track(moved)
        // A room that ends keeps the line operators search for ("channel stopped").
        logger.info(
            next.isFinal ? "channel stopped" : "channel state changed",
            metadata: ["channel": "\(channel.id)", "from": "\(channel.state.name)", "to": "\(next.name)", "reason": "\(reason)"])
        return moved
    }

    /// A room the caller owns and that is not over: 1 when unknown, 2 when over, 22 when not theirs.
    func ownedChannel(_ fields: RequestFields) throws -> ChannelInfo {
        let caller = try authenticate(fields)
        let channel = try activeChannel(try channelID(fields))
        guard channel.ownerUserID == caller.userID, channel.ownerSource == caller.source else {
            throw APIReply.failure(.permissionDenied, "only the channel's owner may change its state")
        }
        return channel
    }

    /// The answer of a call that changed or showed a room's state.
    private func stateReply(_ channel: ChannelInfo) -> APIReply {
        APIReply(
            code: .success,
            fields: [
                ("live_status", Array(String(channel.state.rawValue).utf8)),
                ("status", JSONObjectWriter.quoted(channel.state.seedStatus)),
            ])
    }

    private func reason(_ fields: RequestFields, or fallback: String) throws -> String {
        let given = try optional(fields, "reason", limit: FieldLimits.reason)
        return given.isEmpty ? fallback : given
    }
}
