import WliveProtocol
import WliveStore

extension LiveAPI {
    /// `joinLive` (`event=beginwatch`, seed 000 1.3) and `leaveLive` (`event=endwatch`, 1.4): the
    /// caller starts or stops watching. Leaving twice, or leaving a closed channel, is not an error.
    func watch(_ fields: RequestFields, event expectedEvent: String) throws -> APIReply {
        let caller = try authenticate(fields)
        if let event = fields["event"], !event.isEmpty, event != expectedEvent {
            throw APIReply.failure(.invalidParameter, "event must be \(expectedEvent) here")
        }
        let id = try channelID(fields)
        if expectedEvent == "endwatch" {
            guard try store.channel(id) != nil else { throw APIReply.failure(.channelNotFound) }
            _ = try store.leave(id, source: caller.source, userID: caller.userID)
        } else {
            _ = try activeChannel(id)
            let watcher = Watcher(
                source: caller.source, userID: caller.userID, biz: caller.biz,
                extJSON: try optional(fields, "ext_json", limit: FieldLimits.extJSON), viewTime: wallClock())
            _ = try store.join(id, watcher)
        }
        watchersChanged(id)
        return APIReply(code: .success)
    }

    /// `retrieveWatcherList` (the SDK's `retriiveWatcherList`): a page of who watches now (seed 000, 1.6).
    func retrieveWatcherList(_ fields: RequestFields) throws -> APIReply {
        _ = try authenticate(fields)
        let id = try channelID(fields)
        guard let count = fields["get_count"].flatMap({ Int($0.trimmingWhitespace) }), (1...100).contains(count) else {
            throw APIReply.failure(.invalidParameter, "get_count must be an integer from 1 to 100")
        }
        let order = (fields["order_by_type"] ?? "").lowercased()
        guard order == "asc" || order == "desc" else {
            throw APIReply.failure(.invalidParameter, "order_by_type must be asc or desc")
        }
        let lastSource = fields["last_source"]?.trimmingWhitespace ?? ""
        let lastUser = try optional(fields, "last_user_id")
        guard let sourceValue = Int(lastSource), !lastUser.isEmpty else {
            throw APIReply.failure(.invalidParameter, "last_source and last_user_id are required (-1 for the first page)")
        }
        let cursor = sourceValue == -1 || lastUser == "-1" ? nil : WatcherCursor(source: sourceValue, userID: lastUser)
        guard let channel = try store.channel(id) else { throw APIReply.failure(.channelNotFound) }
        let page = try store.watchers(of: id, after: cursor, count: count, ascending: order == "asc")
        let users = page.map { watcher -> [UInt8] in
            var json = JSONObjectWriter()
            json.field("ext_json", watcher.extJSON)
            json.field("view_time", String(watcher.viewTime))
            json.field("userid", watcher.userID)
            json.field("biz", watcher.biz)
            json.field("source", watcher.source)
            return json.finish()
        }
        return APIReply(
            code: .success,
            fields: [
                ("create_time", JSONObjectWriter.quoted(String(channel.createTime))),
                ("pull_interval", Array("0".utf8)),
                ("status", JSONObjectWriter.quoted(channel.state.seedStatus)),
                ("channel_id", JSONObjectWriter.quoted(id.description)),
                ("total_num", Array(String(channel.totalCount).utf8)),
                ("online_num", Array(String(channel.onlineCount).utf8)),
                ("online_number", Array(String(channel.onlineCount).utf8)),
                ("view_user", JSONObjectWriter.array(users)),
            ])
    }
}
