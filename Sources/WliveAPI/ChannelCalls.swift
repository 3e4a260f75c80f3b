import WliveCodec
import WliveProtocol
import WliveStore

extension LiveAPI {
    /// `startLive`: opens a channel owned by the caller (seed 000, 1.1).
    func startLive(_ fields: RequestFields) throws -> APIReply {
        let caller = try authenticate(fields)
        let title = try required(fields, "channel_title", limit: FieldLimits.channelTitle)
        let describe = try required(fields, "channel_describe", limit: FieldLimits.channelDescribe)
        let cover = try required(fields, "cover_url", limit: FieldLimits.coverURL)
        let extJSON = try optional(fields, "ext_json", limit: FieldLimits.extJSON)
        guard openChannelsByOwner[caller.key, default: 0] < settings.maxChannelsPerUser else {
            throw APIReply.failure(
                .permissionDenied,
                "this user already has \(settings.maxChannelsPerUser) live channels (channels.max_per_user); stop one first")
        }
        guard openChannelCount < settings.maxOpenChannels else {
            throw APIReply.failure(.failure, "the gateway holds its most live channels (channels.max_open); try again later")
        }
        let now = wallClock()
        let plan = try plannedTimes(fields, now: now)
        let id = ids.next(now: now)
        var channel = ChannelInfo(
            id: id, title: title, describe: describe, coverURL: cover, extJSON: extJSON,
            ownerUserID: caller.userID, ownerBiz: caller.biz, ownerSource: caller.source, createTime: now)
        let visibility = try optional(fields, "private", limit: 1)
        guard ["", "0", "1"].contains(visibility) else { throw APIReply.failure(.invalidParameter, "private must be 0 or 1") }
        channel.isPrivate = visibility == "1"
        channel.planStartTime = plan.start
        channel.planEndTime = plan.end
        // Planned for later: not started (102) until the anchor goes live.
        if plan.start > now { channel.state = .notStarted }
        try store.insert(channel)
        countOpened(owner: caller.key)
        fanOut.openChannel(channel)
        roomTimers.track(channel)
        logger.info("channel started", metadata: ["channel": "\(id)", "userid": "\(caller.userID)"])
        var json = JSONObjectWriter()
        json.field("channel_describe", channel.describe)
        json.field("channel_title", channel.title)
        json.field("push_url", url(settings.pushURLTemplate, id))
        json.field("qcloud_channel_id", id.description)
        json.field("channel_id", id.description)
        json.field("live_status", channel.state.rawValue)
        json.field("private", channel.isPrivate)
        return APIReply(code: .success, fields: [("channel", json.finish())])
    }

    /// `plan_start_time` and `plan_end_time` (Unix milliseconds, both optional; 0 or absent:
    /// none), or -4: not numbers, an end not after the start, or an end already past.
    private func plannedTimes(_ fields: RequestFields, now: Int64) throws -> (start: Int64, end: Int64) {
        func time(_ name: String) throws -> Int64 {
            let text = try optional(fields, name, limit: 20)
            guard !text.isEmpty else { return 0 }
            guard let value = Int64(text), value >= 0 else {
                throw APIReply.failure(.invalidParameter, "\(name) must be Unix milliseconds")
            }
            return value
        }
        let start = try time("plan_start_time")
        let end = try time("plan_end_time")
        if end > 0 {
            guard end > max(start, now) else {
                throw APIReply.failure(.invalidParameter, "plan_end_time must be later than now and than plan_start_time")
            }
        }
        return (start, end)
    }

    /// Opens a channel that did not come through `startLive` (the embedding API, `--open-channel`):
    /// the store gets its record too, so the API and the push tier agree it exists (comments,
    /// joins and `retrieveChannel` work on it). False when the id is already known.
    public func adoptChannel(_ id: ChannelID) throws -> Bool {
        guard try store.channel(id) == nil else { return false }
        let channel = ChannelInfo(
            id: id, title: "", describe: "", coverURL: "", extJSON: "",
            ownerUserID: "", ownerBiz: "", ownerSource: 0, createTime: wallClock())
        try store.insert(channel)
        countOpened(owner: CallerIdentity.key(source: 0, userID: ""))
        fanOut.openChannel(channel)
        return true
    }

    /// Counts the rooms a durable store gave back at start against the channel caps, and runs
    /// their clocks again (an abnormal room's grace goes on); the read model and the push tier
    /// took them already.
    public func countRestored(_ channels: [ChannelInfo]) {
        for channel in channels where !channel.state.isFinal {
            countOpened(owner: CallerIdentity.key(source: channel.ownerSource, userID: channel.ownerUserID))
            roomTimers.track(channel)
        }
    }

    /// `stopLive`: the owner ends the channel (seed 000, 1.2), in any state but a final one.
    func stopLive(_ fields: RequestFields) throws -> APIReply {
        let caller = try authenticate(fields)
        let id = try channelID(fields)
        let channel = try activeChannel(id)
        guard channel.ownerUserID == caller.userID, channel.ownerSource == caller.source else {
            throw APIReply.failure(.permissionDenied, "only the channel's owner may stop it")
        }
        let given = try optional(fields, "reason", limit: FieldLimits.reason)
        try move(channel, .stop, reason: given.isEmpty ? "stopped by owner" : given)
        return APIReply(code: .success)
    }

    /// Ends a channel for the store and the push tier alike (the embedding API's
    /// `closeChannel`): 1 when unknown, 2 when already over.
    public func endChannel(_ id: ChannelID, reason: String) throws -> WliveResultCode {
        do {
            try move(try activeChannel(id), .stop, reason: reason)
            return .success
        } catch let reply as APIReply {
            return reply.code
        }
    }

    /// `retrieveChannel` (the SDK's `retriveChannel`): every known channel of `channel_ids` (seed 000, 1.5).
    /// Unknown ids are left out of `channel` and listed in `not_found`.
    func retrieveChannel(_ fields: RequestFields) throws -> APIReply {
        _ = try authenticate(fields)
        let text = try required(fields, "channel_ids", limit: 100 * 24)
        guard let list = try? JSONObjectFields.elements(Array(text.utf8)), list.count <= 100 else {
            throw APIReply.failure(.invalidParameter, "channel_ids must be a JSON array of at most 100 ids")
        }
        var found: [[UInt8]] = []
        var missing: [[UInt8]] = []
        for element in list {
            guard let id = ChannelID(element.text) else {
                throw APIReply.failure(.invalidParameter, "channel_ids must hold decimal channel ids")
            }
            if let channel = try store.channel(id) {
                found.append(encode(channel))
            } else {
                missing.append(JSONObjectWriter.quoted(id.description))
            }
        }
        return APIReply(
            code: .success, fields: [("channel", JSONObjectWriter.array(found)), ("not_found", JSONObjectWriter.array(missing))])
    }

    /// One channel as seed 000's `channel` table lists it.
    func encode(_ channel: ChannelInfo) -> [UInt8] {
        var json = JSONObjectWriter(reservingCapacity: 512)
        json.field("create_time", String(channel.createTime))
        json.field("release_time", String(channel.releaseTime))
        json.field("live_time", String(channel.liveTime))
        json.field("reason", channel.reason)
        json.field("channel_describe", channel.describe)
        json.field("channel_title", channel.title)
        json.field("cover_url", channel.coverURL)
        json.field("status", channel.state.seedStatus)
        json.field("live_status", channel.state.rawValue)
        json.field("plan_start_time", String(channel.planStartTime))
        json.field("plan_end_time", String(channel.planEndTime))
        json.field("total_likes", channel.totalLikes)
        json.field("private", channel.isPrivate)
        json.field("slow_mode", channel.modes.slowMode)
        json.field("anchor_only", channel.modes.anchorOnly)
        json.field("pinned", rawJSON: channel.pinned.map { ServerMessage.comment($0).encoded() } ?? Array("null".utf8))
        json.field("userid", channel.ownerUserID)
        json.field("channel_id", channel.id.description)
        json.field("biz", channel.ownerBiz)
        json.field("ext_json", channel.extJSON)
        json.field("online_num", channel.onlineCount)
        json.field("total_num", channel.totalCount)
        json.field("source", channel.ownerSource)
        json.field("flv_downstream_address", url(settings.flvURLTemplate, channel.id))
        json.field("rtmp_downstream_address", url(settings.rtmpURLTemplate, channel.id))
        json.field("qcloud_channel_id", channel.id.description)
        return json.finish()
    }

    func url(_ template: String, _ id: ChannelID) -> String {
        template.replacing("{channel_id}", with: id.description)
    }

    /// The live-channel counts behind `channels.max_per_user` and `channels.max_open`.
    func countOpened(owner: String) {
        openChannelsByOwner[owner, default: 0] += 1
        openChannelCount += 1
    }

    func countClosed(owner: String) {
        openChannelsByOwner[owner, default: 0] -= 1
        if openChannelsByOwner[owner] == 0 { openChannelsByOwner[owner] = nil }
        openChannelCount -= 1
    }
}
