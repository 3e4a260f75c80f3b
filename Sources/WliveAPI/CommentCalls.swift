import WliveCodec
import WliveProtocol
import WliveSpam

extension LiveAPI {
    /// `sendComment` (seed 000, 1.7). Checks in order: fields (-4), login (-2), the channel exists
    /// (1) and is live (2), spam (303); then the comment is published and its id and seq returned.
    func sendComment(_ fields: RequestFields) throws -> APIReply {
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
        _ = try liveChannel(id)
        if let verdict = spam.check(
            channel: id.rawValue, user: caller.key, content: content, now: monotonicClock())
        {
            logger.debug("comment refused", metadata: ["channel": "\(id)", "rule": "\(verdict.rule.rawValue)"])
            return APIReply(
                code: .contentRejected, message: verdict.message,
                fields: [("reason", JSONObjectWriter.quoted(verdict.rule.rawValue))])
        }
        switch fanOut.publish(
            channel: id, userID: caller.userID, source: caller.source, biz: caller.biz,
            content: content, extJSON: extJSON, commentType: commentType)
        {
        case .failure(let refusal):
            // The push tier said no: say why, in its code; the comment reached nobody.
            return .failure(refusal, "comment not delivered: \(refusal.defaultMessage)")
        case .success(let published):
            return APIReply(
                code: .success,
                fields: [
                    ("comment_id", JSONObjectWriter.quoted(published.id)),
                    ("seq", Array(String(published.seq).utf8)),
                    ("time", Array(String(published.time).utf8)),
                ])
        }
    }
}
