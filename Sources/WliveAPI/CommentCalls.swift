import WliveCodec
import WliveProtocol
import WliveSpam
import WliveStore

extension LiveAPI {
    /// `sendComment` (seed 000, 1.7). Checks in order: fields (-4), login (-2), the channel exists
    /// (1) and is live (2), bans and anchor-only rooms (22), slow mode and spam (303); then the comment is numbered, stored, delivered, and its
    /// id and seq answered: code 0 only once it is durable.
    func sendComment(_ fields: RequestFields, answer: @escaping (APIReply) -> Void) throws {
        let caller = try checkFields(fields)
        // The JSON text itself is bounded by `http.max_body_size`; its fields are bounded below.
        let commentText = try required(fields, "comment", limit: .max)
        guard let comment = try? JSONObjectFields.parse(Array(commentText.utf8)) else {
            throw APIReply.failure(.invalidParameter, "comment must be a JSON object")
        }
        let commentFields = RequestFields(comment)
        let id = try channelID(commentFields)
        let content = commentFields["content"] ?? ""
        guard !content.isBlank else {
            throw APIReply.failure(.invalidParameter, "the comment's content is empty")
        }
        _ = try bounded(content, "content", limit: settings.maxCommentLength)
        let extJSON = try bounded(commentFields["ext_json"] ?? "", "ext_json", limit: FieldLimits.extJSON)
        let commentType = try bounded(commentFields["type"] ?? "", "type", limit: FieldLimits.commentType)
        try checkLogin(fields, caller)
        let channel = try liveChannel(id)
        let now = wallClock()
        if let refusal = moderationRefusal(of: caller, in: channel, now: now) { return answer(refusal) }
        if let verdict = spam.check(
            channel: id.rawValue, user: caller.key, content: content, now: monotonicClock())
        {
            logger.debug("comment refused", metadata: ["channel": "\(id)", "rule": "\(verdict.rule.rawValue)"])
            return answer(
                APIReply(
                    code: .contentRejected, message: verdict.message,
                    fields: [("reason", JSONObjectWriter.quoted(verdict.rule.rawValue))]))
        }
        noteComment(of: caller, in: channel, now: now)
        publish(
            channel: id, userID: caller.userID, source: caller.source, biz: caller.biz,
            content: content, extJSON: extJSON, commentType: commentType
        ) { [self] result in
            if case .failure = result {
                spam.withdraw(channel: id.rawValue, user: caller.key, content: content)
            }
            switch result {
            case .failure(.internalError):
                answer(.storeFailed)
            case .failure(let refusal):
                // The push tier said no: say why, in its code; the comment reached nobody.
                answer(.failure(refusal, "comment not delivered: \(refusal.defaultMessage)"))
            case .success(let published):
                answer(
                    APIReply(
                        code: .success,
                        fields: [
                            ("comment_id", JSONObjectWriter.quoted(published.id)),
                            ("seq", Array(String(published.seq).utf8)),
                            ("time", Array(String(published.time).utf8)),
                        ]))
            }
        }
    }

    /// Numbers a comment, stores it, then delivers it (no spam check: that is `sendComment`'s).
    /// `completion` runs once it is delivered, or with the refusal: the push tier's code, or
    /// 100 when the store could not keep it (then nobody received it).
    public func publish(
        channel: ChannelID, userID: String, source: Int, biz: String, content: String, extJSON: String = "",
        commentType: String = "", completion: @escaping (Result<Comment, WliveResultCode>) -> Void
    ) {
        switch fanOut.prepare(
            channel: channel, userID: userID, source: source, biz: biz, content: content, extJSON: extJSON,
            commentType: commentType)
        {
        case .failure(let refusal):
            completion(.failure(refusal))
        case .success(let comment) where replication != nil:
            // Numbered again across the cluster; every node delivers it from the bus.
            replication!.append(comment, completion: completion)
        case .success(let comment):
            journal.record(.comment(comment))
            journal.whenDurable { [fanOut] stored in
                if stored {
                    fanOut.deliver(comment)
                    completion(.success(comment))
                } else {
                    fanOut.withdraw(comment)
                    completion(.failure(.internalError))
                }
            }
        }
    }
}
