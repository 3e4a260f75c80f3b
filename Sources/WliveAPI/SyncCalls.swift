import WliveCodec
import WliveProtocol
import WliveStore

/// `syncComments`: the long-poll for clients that cannot hold a socket. What the room's
/// subscribers were sent after the poller's place (comments and notices, in order, the ring's
/// own encodings) is answered at once when there is any; otherwise the request is held until
/// the room publishes something, ends, or `poll.max_wait` passes (then answered empty). A place
/// the push tier no longer holds (an old `since_seq`, a restart) is answered from history.
extension LiveAPI {
    func syncComments(_ fields: RequestFields, answer: @escaping (APIReply) -> Void) throws {
        _ = try authenticate(fields)
        let id = try channelID(fields)
        guard let channel = try store.channel(id) else { throw APIReply.failure(.channelNotFound) }
        guard let since = fields["since_seq"].flatMap({ UInt64($0.trimmingWhitespace) }) else {
            throw APIReply.failure(.invalidParameter, "since_seq must be a non-negative integer (0: from the oldest retained)")
        }
        var cursor: UInt64?
        if let text = fields["cursor"]?.trimmingWhitespace, !text.isEmpty {
            guard let value = UInt64(text) else {
                throw APIReply.failure(.invalidParameter, "cursor must be a previous answer's cursor")
            }
            cursor = value
        }
        var limit = 100
        if let text = fields["get_count"]?.trimmingWhitespace, !text.isEmpty {
            guard let count = Int(text), (1...100).contains(count) else {
                throw APIReply.failure(.invalidParameter, "get_count must be an integer from 1 to 100")
            }
            limit = count
        }
        let poll = HeldPolls.Poll(
            place: .init(since: since, cursor: cursor, limit: limit), deadline: monotonicClock() + settings.pollMaxWait,
            answer: answer)
        serve([poll], channel: channel, holdsIfEmpty: true)
    }

    /// Reads what `polls` (all at one place) wait for, once for all of them, and answers them,
    /// or holds them while there is nothing yet.
    private func serve(_ polls: [HeldPolls.Poll], channel: ChannelInfo, holdsIfEmpty: Bool) {
        let place = polls[0].place
        switch fanOut.pollRead(channel.id, cursor: place.cursor, since: place.since, limit: place.limit) {
        case .messages(let frames, let cursor, let nextSeq, let hasMore):
            guard !frames.isEmpty || !holding(polls, on: channel.id, if: holdsIfEmpty) else { return }
            var fields = pollFields(
                messages: frames.map { Array($0.payload) }, nextSeq: nextSeq, hasMore: hasMore, channel: channel)
            fields.append(("cursor", Array(String(cursor).utf8)))
            let reply = APIReply(code: .success, fields: fields)
            for poll in polls { poll.answer(reply) }
        case .notHeld:
            journal.comments(of: channel.id, after: place.since, limit: place.limit) { [self] result in
                switch result {
                case .failure(let error):
                    logger.error("history read failed", metadata: ["channel": "\(channel.id)", "error": "\(error)"])
                    for poll in polls { poll.answer(.failure(.internalError)) }
                case .success(let page):
                    let newer = !page.comments.isEmpty || !page.retracted.isEmpty
                    guard newer || !holding(polls, on: channel.id, if: holdsIfEmpty) else { return }
                    let reply = historyPollReply(page, since: place.since, channel: channel)
                    for poll in polls { poll.answer(reply) }
                }
            }
        }
    }

    /// Holds `polls` when nothing came for them, unless the room ended, their time is up or the
    /// server holds all it may; returns whether it did.
    private func holding(_ polls: [HeldPolls.Poll], on id: ChannelID, if allowed: Bool) -> Bool {
        let now = monotonicClock()
        guard allowed, let current = try? store.channel(id), !current.state.isFinal, !pacing.isFull(held: heldPolls.count)
        else { return false }
        let waiting = polls.filter { $0.deadline > now }
        guard !waiting.isEmpty else { return false }
        for poll in waiting { heldPolls.hold(poll, on: id) }
        let late = polls.filter { $0.deadline <= now }
        if !late.isEmpty { serve(late, channel: current, holdsIfEmpty: false) }
        return true
    }

    /// A page of history as a poll's answer: its comments as messages, and where it leaves off.
    private func historyPollReply(_ page: CommentPage, since: UInt64, channel: ChannelInfo) -> APIReply {
        let covered = max(page.comments.last?.seq ?? 0, page.retracted.last ?? 0)
        let next = page.hasMore ? covered : max(covered, page.lastSeq, since)
        let messages = ChannelMessages.withRetractedGaps(page, of: channel.id, now: wallClock())
        var fields = pollFields(messages: messages, nextSeq: next, hasMore: page.hasMore, channel: channel)
        if let lost = Self.retentionField(page, since: since) { fields.append(lost) }
        return APIReply(code: .success, fields: fields)
    }

    private func pollFields(messages: [[UInt8]], nextSeq: UInt64, hasMore: Bool, channel: ChannelInfo)
        -> [(name: StaticString, json: [UInt8])]
    {
        let current = (try? store.channel(channel.id)) ?? channel
        return [
            ("channel_id", JSONObjectWriter.quoted(channel.id.description)),
            ("messages", JSONObjectWriter.array(messages)),
            ("last_seq", Array(String(nextSeq).utf8)),
            ("has_more", Array((hasMore ? "true" : "false").utf8)),
            ("epoch", Array(String(channel.epoch).utf8)),
            ("live_status", Array(String(current.state.rawValue).utf8)),
            ("pull_interval", Array(String(pacing.pullInterval(held: heldPolls.count)).utf8)),
        ]
    }

    var pacing: PollPacing {
        PollPacing(maxHeld: settings.pollMaxHeld, maxPullIntervalMilliseconds: Int(settings.pollMaxPullInterval * 1000))
    }

    /// The room published something (a comment, a notice, its end): its held polls read again,
    /// one read per place, and answer.
    func wakePolls(_ id: ChannelID) {
        let polls = heldPolls.take(id)
        guard !polls.isEmpty else { return }
        guard let channel = try? store.channel(id) else {
            for poll in polls { poll.answer(.failure(.channelNotFound)) }
            return
        }
        for (_, group) in Dictionary(grouping: polls, by: \.place) { serve(group, channel: channel, holdsIfEmpty: true) }
    }

    /// Once a second: polls past `poll.max_wait` are answered (empty, unless something just came).
    func expirePolls() {
        for (id, poll) in heldPolls.expire(now: monotonicClock()) {
            guard let channel = try? store.channel(id) else {
                poll.answer(.failure(.channelNotFound))
                continue
            }
            serve([poll], channel: channel, holdsIfEmpty: false)
        }
    }
}

/// Comments of a history page as the messages subscribers got: each run of retracted seqs one
/// `gap` (`retracted`), in seq order.
enum ChannelMessages {
    static func withRetractedGaps(_ page: CommentPage, of channel: ChannelID, now: Int64) -> [[UInt8]] {
        var items: [(seq: UInt64, json: [UInt8]?)] = page.comments.map { ($0.seq, ServerMessage.comment($0).encoded()) }
        items += page.retracted.map { ($0, nil) }
        items.sort { $0.seq < $1.seq }
        let collapsed = RetractedRuns.collapse(
            items, seq: \.seq, isRetracted: { $0.json == nil },
            gap: { from, to in
                (to, ServerMessage.gap(channelID: channel, fromSeq: from, toSeq: to, reason: .retracted, time: now).encoded())
            })
        return collapsed.compactMap(\.json)
    }
}
