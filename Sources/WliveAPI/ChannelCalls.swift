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
        let id = ids.next(now: now)
        let channel = ChannelInfo(
            id: id, title: title, describe: describe, coverURL: cover, extJSON: extJSON,
            ownerUserID: caller.userID, ownerBiz: caller.biz, ownerSource: caller.source, createTime: now)
        try store.insert(channel)
        countOpened(owner: caller.key)
        fanOut.openChannel(id, epoch: channel.epoch)
        logger.info("channel started", metadata: ["channel": "\(id)", "userid": "\(caller.userID)"])
        var json = JSONObjectWriter()
        json.field("channel_describe", channel.describe)
        json.field("channel_title", channel.title)
        json.field("push_url", url(settings.pushURLTemplate, id))
        json.field("qcloud_channel_id", id.description)
        json.field("channel_id", id.description)
        return APIReply(code: .success, fields: [("channel", json.finish())])
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
        fanOut.openChannel(id, epoch: channel.epoch)
        return true
    }

    /// Counts the rooms a durable store gave back at start against the channel caps; the
    /// read model and the push tier took them already.
    public func countRestored(_ channels: [ChannelInfo]) {
        for channel in channels where !channel.state.isFinal {
            countOpened(owner: CallerIdentity.key(source: channel.ownerSource, userID: channel.ownerUserID))
        }
    }

    /// `stopLive`: the owner ends the channel (seed 000, 1.2).
    func stopLive(_ fields: RequestFields) throws -> APIReply {
        let caller = try authenticate(fields)
        let id = try channelID(fields)
        let channel = try liveChannel(id)
        guard channel.ownerUserID == caller.userID, channel.ownerSource == caller.source else {
            throw APIReply.failure(.permissionDenied, "only the channel's owner may stop it")
        }
        let given = try optional(fields, "reason", limit: FieldLimits.reason)
        try endChannel(channel, reason: given.isEmpty ? "stopped by owner" : given)
        return APIReply(code: .success)
    }

    /// Ends a live channel for the store and the push tier alike (stopLive, and the embedding
    /// API's `closeChannel`): 1 when unknown, 2 when already closed.
    public func endChannel(_ id: ChannelID, reason: String) throws -> WliveResultCode {
        do {
            try endChannel(try liveChannel(id), reason: reason)
            return .success
        } catch let reply as APIReply {
            return reply.code
        }
    }

    private func endChannel(_ channel: ChannelInfo, reason: String) throws {
        _ = try store.close(channel.id, releaseTime: wallClock(), reason: reason)
        countClosed(owner: CallerIdentity.key(source: channel.ownerSource, userID: channel.ownerUserID))
        // After the comments still on their way to the store: they were accepted first, so
        // they reach the subscribers before the closing message.
        journal.whenDurable { [fanOut] _ in fanOut.closeChannel(channel.id, reason: reason) }
        logger.info("channel stopped", metadata: ["channel": "\(channel.id)"])
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
    private func countOpened(owner: String) {
        openChannelsByOwner[owner, default: 0] += 1
        openChannelCount += 1
    }

    private func countClosed(owner: String) {
        openChannelsByOwner[owner, default: 0] -= 1
        if openChannelsByOwner[owner] == 0 { openChannelsByOwner[owner] = nil }
        openChannelCount -= 1
    }
}
