import WliveCodec
import WliveProtocol
import WliveStore

/// Moderation that reaches what viewers already saw: comments taken back, users banned (and
/// their recent comments purged), slow and anchor-only modes, a pinned comment.
extension LiveAPI {
    /// `deleteComment`: the room's owner or an admin takes a comment back. It leaves history
    /// (a resume or `retrieveComments` never shows it again) and every viewer gets `comment_deleted`.
    func deleteComment(_ fields: RequestFields) throws -> APIReply {
        let channel = try moderatedChannel(fields)
        let (id, seq) = try commentReference(fields, in: channel)
        // Passed to the viewers as given: a moderator's note, or a client's own marker.
        let reason = try optional(fields, "reason", limit: FieldLimits.reason)
        // Out to the viewers at once, ahead of the store's commit: taking harm off screens is
        // what moderation is for. The answer still waits for the commit (100 if it fails, and
        // the moderator tries again; the viewers already dropped the comment).
        fanOut.retract(channel.id, comments: [(id, seq)], reason: reason)
        journal.record(.retraction(channel.id, seqs: [seq]))
        if channel.pinned?.seq == seq { try unpin(channel) }
        logger.info("comment deleted", metadata: ["channel": "\(channel.id)", "comment": "\(id)"])
        return APIReply(
            code: .success, fields: [("comment_id", JSONObjectWriter.quoted(id)), ("seq", Array(String(seq).utf8))])
    }

    /// `banUser`: keeps `target_userid` (of `target_source`) from commenting for `duration`
    /// seconds (0 lifts a ban): in `channel_id`'s room (its owner or an admin), or, without
    /// one, everywhere (an admin). `purge_minutes` also takes back their comments of the last
    /// minutes in that room.
    func banUser(_ fields: RequestFields) throws -> APIReply {
        let roomText = try optional(fields, "channel_id", limit: 24)
        let channel: ChannelInfo? = roomText.isEmpty ? nil : try moderatedChannel(fields)
        if channel == nil { _ = try authenticateAdmin(fields) }
        let target = try required(fields, "target_userid")
        guard let source = Int(try required(fields, "target_source", limit: 8)) else {
            throw APIReply.failure(.invalidParameter, "target_source must be an integer")
        }
        let duration = try integer(fields, "duration", in: 0...31_536_000, default: 600)
        let purgeMinutes = try integer(fields, "purge_minutes", in: 0...1440, default: 0)
        guard purgeMinutes == 0 || channel != nil else {
            throw APIReply.failure(.invalidParameter, "purge_minutes needs a channel_id")
        }
        let now = wallClock()
        let ban = UserBan(channel: channel?.id, source: source, userID: target, until: now + Int64(duration) * 1000)
        if duration > 0 { bans[BanKey(ban)] = ban.until } else { bans[BanKey(ban)] = nil }
        journal.record(.ban(ban))
        if let channel, purgeMinutes > 0 {
            let since = now - Int64(purgeMinutes) * 60_000
            // At once, as deleteComment's retraction.
            fanOut.purge(channel.id, userID: target, source: source, since: since)
            journal.record(.purge(channel.id, userID: target, source: source, since: since))
            if let pinned = channel.pinned, pinned.userID == target, pinned.source == source, pinned.time >= since {
                try unpin(channel)
            }
        }
        return APIReply(code: .success, fields: [("until", Array(String(duration > 0 ? ban.until : 0).utf8))])
    }

    /// `setRoomMode`: the owner or an admin sets slow mode (`slow_mode` seconds, 0 off) and
    /// anchor-only (`anchor_only` 0/1); a field left out keeps its value. Viewers get the modes.
    func setRoomMode(_ fields: RequestFields) throws -> APIReply {
        let channel = try moderatedChannel(fields)
        var modes = channel.modes
        modes.slowMode = try integer(fields, "slow_mode", in: 0...3600, default: modes.slowMode)
        modes.anchorOnly = try integer(fields, "anchor_only", in: 0...1, default: modes.anchorOnly ? 1 : 0) == 1
        if modes != channel.modes {
            _ = try store.update(channel.id) { $0.modes = modes }
            journal.whenDurable { [fanOut] _ in fanOut.changeModeration(channel.id, modes: modes, pinned: nil) }
            if modes.slowMode == 0 { lastComments[channel.id] = nil }
        }
        return APIReply(
            code: .success,
            fields: [
                ("slow_mode", Array(String(modes.slowMode).utf8)),
                ("anchor_only", Array((modes.anchorOnly ? "true" : "false").utf8)),
            ])
    }

    /// `pinComment`: the owner or an admin pins one of the room's comments, read back from
    /// history; viewers get it now, and every later acknowledgement carries it.
    func pinComment(_ fields: RequestFields, answer: @escaping (APIReply) -> Void) throws {
        let channel = try moderatedChannel(fields)
        let (id, seq) = try commentReference(fields, in: channel)
        journal.comments(of: channel.id, after: seq - 1, limit: 1) { [self] result in
            guard case .success(let page) = result else { return answer(.failure(.internalError)) }
            guard let comment = page.comments.first, comment.id == id else {
                return answer(.failure(.invalidParameter, "comment \(id) is not in the room's history (deleted, or too old)"))
            }
            do {
                // The room may have ended while the history was read.
                let current = try activeChannel(channel.id)
                _ = try store.update(current.id) { $0.pinned = comment }
                journal.whenDurable { [fanOut] stored in
                    guard stored else { return answer(.storeFailed) }
                    fanOut.changeModeration(channel.id, modes: nil, pinned: .some(comment))
                    answer(APIReply(code: .success, fields: [("pinned", ServerMessage.comment(comment).encoded())]))
                }
            } catch let refusal as APIReply {
                answer(refusal)
            } catch {
                answer(.failure(.internalError))
            }
        }
    }

    /// `unpinComment`: the owner or an admin takes the pin down.
    func unpinComment(_ fields: RequestFields) throws -> APIReply {
        try unpin(try moderatedChannel(fields))
        return APIReply(code: .success)
    }

    private func unpin(_ channel: ChannelInfo) throws {
        guard channel.pinned != nil else { return }
        _ = try store.update(channel.id) { $0.pinned = nil }
        journal.whenDurable { [fanOut] _ in fanOut.changeModeration(channel.id, modes: nil, pinned: .some(nil)) }
    }

    /// The room of `channel_id`, not over, that the caller may moderate: its owner (logged in)
    /// or an admin (an admin token; `test=1` is no admin token here, else every caller would be one).
    func moderatedChannel(_ fields: RequestFields) throws -> ChannelInfo {
        let caller = try checkFields(fields)
        let channel = try activeChannel(try channelID(fields))
        let isOwner = channel.ownerUserID == caller.userID && channel.ownerSource == caller.source
        if isOwner, (try? checkLogin(fields, caller)) != nil { return channel }
        let admin = adminVerifier.verify(
            fields["authtoken"] ?? "", userID: caller.userID, source: caller.source, now: wallClock() / 1000)
        guard (try? admin.get()) != nil else {
            throw APIReply.failure(.permissionDenied, "only the room's owner or an admin (wlive token --admin) may moderate it")
        }
        return channel
    }

    /// `comment_id` as the gateway made it ("<channel>-<epoch>-<seq>"), of this room and its
    /// current epoch, or -4.
    private func commentReference(_ fields: RequestFields, in channel: ChannelInfo) throws -> (String, UInt64) {
        let id = try required(fields, "comment_id", limit: 64)
        let parts = id.split(separator: "-", omittingEmptySubsequences: false)
        // Exactly as the gateway wrote it (no sign, no leading zero): viewers match it by id.
        guard parts.count == 3, let seq = UInt64(parts[2]), seq > 0, id == "\(channel.id)-\(channel.epoch)-\(seq)" else {
            throw APIReply.failure(.invalidParameter, "comment_id \(id) is not a comment of this room")
        }
        return (id, seq)
    }

    /// An optional integer field within `range`, or -4.
    private func integer(_ fields: RequestFields, _ name: String, in range: ClosedRange<Int>, default value: Int) throws -> Int {
        let text = try optional(fields, name, limit: 12)
        guard !text.isEmpty else { return value }
        guard let parsed = Int(text), range.contains(parsed) else {
            throw APIReply.failure(
                .invalidParameter, "\(name) must be an integer from \(range.lowerBound) to \(range.upperBound)")
        }
        return parsed
    }

    /// Bans a durable store kept, for a restart.
    public func restoreBans(_ kept: [UserBan]) {
        for ban in kept { bans[BanKey(ban)] = ban.until }
    }

    /// Why `caller` may not comment in `channel` now, as the refusal to answer; nil when it may.
    /// Bans (22) and anchor-only rooms (22) first, then slow mode (303, `slow_mode`).
    func moderationRefusal(of caller: CallerIdentity, in channel: ChannelInfo, now: Int64) -> APIReply? {
        let isOwner = channel.ownerUserID == caller.userID && channel.ownerSource == caller.source
        for room in [channel.id, nil] as [ChannelID?] {
            let key = BanKey(channel: room, source: caller.source, userID: caller.userID)
            guard let until = bans[key] else { continue }
            if until > now {
                return .failure(
                    .permissionDenied,
                    "this user is banned from commenting \(room == nil ? "anywhere" : "in this room") until \(until)")
            }
            bans[key] = nil
        }
        if channel.modes.anchorOnly, !isOwner {
            return .failure(.permissionDenied, "the room is anchor-only: only its anchor may comment")
        }
        let slow = Int64(channel.modes.slowMode) * 1000
        if slow > 0, !isOwner, let last = lastComments[channel.id]?[caller.key], now - last < slow {
            return APIReply(
                code: .contentRejected,
                message: "slow mode: one comment every \(channel.modes.slowMode) s; wait \((slow - (now - last) + 999) / 1000) s",
                fields: [("reason", JSONObjectWriter.quoted("slow_mode"))])
        }
        return nil
    }

    /// A comment of `caller` was accepted: slow mode counts from now.
    func noteComment(of caller: CallerIdentity, in channel: ChannelInfo, now: Int64) {
        guard channel.modes.slowMode > 0 else { return }
        lastComments[channel.id, default: [:]][caller.key] = now
    }

    /// Forgets slow-mode times that no longer hold anyone back (the loop's once-a-second work).
    func pruneSlowMode(now: Int64) {
        for (id, users) in lastComments {
            guard let channel = try? store.channel(id), !channel.state.isFinal, channel.modes.slowMode > 0 else {
                lastComments[id] = nil
                continue
            }
            let slow = Int64(channel.modes.slowMode) * 1000
            lastComments[id] = users.filter { now - $0.value < slow }
        }
    }
}

/// Whom a ban holds back, and where (`channel` nil: everywhere).
struct BanKey: Hashable {
    var channel: ChannelID?
    var source: Int
    var userID: String

    init(channel: ChannelID?, source: Int, userID: String) {
        self.channel = channel
        self.source = source
        self.userID = userID
    }

    init(_ ban: UserBan) { self.init(channel: ban.channel, source: ban.source, userID: ban.userID) }
}
