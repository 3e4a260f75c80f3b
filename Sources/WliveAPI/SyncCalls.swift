import WliveCodec
import WliveProtocol
import WliveStore

/// `syncComments`: the long-poll for clients that cannot hold a socket. Comments after
/// `since_seq` are answered at once when there are any; otherwise the request is held until one
/// is durable in the room, the room ends, or `poll.max_wait` passes (then answered empty).
extension LiveAPI {
    func syncComments(_ fields: RequestFields, answer: @escaping (APIReply) -> Void) throws {
        _ = try authenticate(fields)
        let id = try channelID(fields)
        guard let channel = try store.channel(id) else { throw APIReply.failure(.channelNotFound) }
        guard let since = fields["since_seq"].flatMap({ UInt64($0.trimmingWhitespace) }) else {
            throw APIReply.failure(.invalidParameter, "since_seq must be a non-negative integer (0: from the oldest retained)")
        }
        var limit = 100
        if let text = fields["get_count"]?.trimmingWhitespace, !text.isEmpty {
            guard let count = Int(text), (1...100).contains(count) else {
                throw APIReply.failure(.invalidParameter, "get_count must be an integer from 1 to 100")
            }
            limit = count
        }
        let poll = HeldPolls.Poll(
            since: since, limit: limit, deadline: monotonicClock() + settings.pollMaxWait, answer: answer)
        readPoll(poll, channel: channel, holdsIfEmpty: !channel.state.isFinal)
    }

    /// Reads what `poll` waits for and answers it, or holds it again when nothing came (a room's
    /// comment woke it before that comment was readable, or it just arrived).
    private func readPoll(_ poll: HeldPolls.Poll, channel: ChannelInfo, holdsIfEmpty: Bool) {
        journal.comments(of: channel.id, after: poll.since, limit: poll.limit) { [self] result in
            switch result {
            case .failure(let error):
                logger.error("history read failed", metadata: ["channel": "\(channel.id)", "error": "\(error)"])
                poll.answer(.failure(.internalError))
            case .success(let page):
                let newer = !page.comments.isEmpty || !page.retracted.isEmpty || page.lastSeq > poll.since
                let current = (try? store.channel(channel.id)) ?? channel
                if newer || !holdsIfEmpty || current.state.isFinal || poll.deadline <= monotonicClock()
                    || pacing.isFull(held: heldPolls.count)
                {
                    poll.answer(pollReply(page, channel: current, since: poll.since))
                } else {
                    heldPolls.hold(poll, on: channel.id)
                }
            }
        }
    }

    private func pollReply(_ page: CommentPage, channel: ChannelInfo, since: UInt64) -> APIReply {
        var reply = Self.historyReply(page, channel: channel, since: since)
        // Where the next poll starts: after what this page holds, or the room's newest.
        let covered = max(page.comments.last?.seq ?? 0, page.retracted.last ?? 0)
        let next = page.hasMore ? covered : max(covered, page.lastSeq, since)
        reply.fields.append(("next_seq", Array(String(next).utf8)))
        reply.fields.append(("live_status", Array(String(channel.state.rawValue).utf8)))
        reply.fields.append(("pull_interval", Array(String(pacing.pullInterval(held: heldPolls.count)).utf8)))
        return reply
    }

    var pacing: PollPacing {
        PollPacing(maxHeld: settings.pollMaxHeld, maxPullIntervalMilliseconds: Int(settings.pollMaxPullInterval * 1000))
    }

    /// A comment (or the room's end) is durable in `id`: its held polls read again and answer.
    func wakePolls(_ id: ChannelID) {
        let polls = heldPolls.take(id)
        guard !polls.isEmpty, let channel = try? store.channel(id) else {
            for poll in polls { poll.answer(.failure(.channelNotFound)) }
            return
        }
        for poll in polls { readPoll(poll, channel: channel, holdsIfEmpty: true) }
    }

    /// Once a second: polls past `poll.max_wait` are answered (empty, unless a comment just came).
    func expirePolls() {
        for (id, poll) in heldPolls.expire(now: monotonicClock()) {
            guard let channel = try? store.channel(id) else {
                poll.answer(.failure(.channelNotFound))
                continue
            }
            readPoll(poll, channel: channel, holdsIfEmpty: false)
        }
    }
}
