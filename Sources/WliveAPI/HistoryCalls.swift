import WliveCodec
import WliveProtocol
import WliveStore

extension LiveAPI {
    /// `retrieveComments`: a room's retained comments after `since_seq` (exclusive; 0 starts at
    /// the oldest retained), oldest first, `get_count` (1–100) at most, as subscribers receive
    /// them. Also the pull path for clients that cannot hold a socket.
    func retrieveComments(_ fields: RequestFields, answer: @escaping (APIReply) -> Void) throws {
        _ = try authenticate(fields)
        let id = try channelID(fields)
        let sinceText = fields["since_seq"]?.trimmingWhitespace ?? "0"
        guard let since = UInt64(sinceText.isEmpty ? "0" : sinceText) else {
            throw APIReply.failure(.invalidParameter, "since_seq must be a non-negative integer")
        }
        guard let count = fields["get_count"].flatMap({ Int($0.trimmingWhitespace) }), (1...100).contains(count) else {
            throw APIReply.failure(.invalidParameter, "get_count must be an integer from 1 to 100")
        }
        guard let channel = try store.channel(id) else { throw APIReply.failure(.channelNotFound) }
        journal.comments(of: id, after: since, limit: count) { [logger] result in
            switch result {
            case .failure(let error):
                logger.error("history read failed", metadata: ["channel": "\(id)", "error": "\(error)"])
                answer(.failure(.internalError))
            case .success(let page):
                answer(Self.historyReply(page, channel: channel, since: since))
            }
        }
    }

    static func historyReply(_ page: CommentPage, channel: ChannelInfo, since: UInt64) -> APIReply {
        var fields: [(name: StaticString, json: [UInt8])] = [
            ("channel_id", JSONObjectWriter.quoted(channel.id.description)),
            ("comments", JSONObjectWriter.array(page.comments.map { ServerMessage.comment($0).encoded() })),
            ("last_seq", Array(String(page.lastSeq).utf8)),
            ("has_more", Array((page.hasMore ? "true" : "false").utf8)),
            // Seqs of the range a moderator took back: not lost, retracted.
            ("retracted_seqs", JSONObjectWriter.array(page.retracted.map { Array(String($0).utf8) })),
            ("epoch", Array(String(channel.epoch).utf8)),
        ]
        if let lost = retentionField(page, since: since) { fields.append(lost) }
        return APIReply(code: .success, fields: fields)
    }

    /// What retention no longer holds of the range asked for, said outright: `first_retained_seq`.
    static func retentionField(_ page: CommentPage, since: UInt64) -> (name: StaticString, json: [UInt8])? {
        let firstRetained = page.oldestRetained ?? page.lastSeq + 1
        guard page.lastSeq > since, firstRetained > since + 1 else { return nil }
        return ("first_retained_seq", Array(String(firstRetained).utf8))
    }
}
