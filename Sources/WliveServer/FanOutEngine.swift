import CLibUV
import WliveCodec
import WliveEngine
import WliveProtocol

/// The producer side of fan-out, confined to the ingest (API) loop: every comment, notice and
/// close enters its channel's ring here, encoded once, and the workers that serve the channel
/// are woken — at most once each per loop iteration, however many messages were published.
final class FanOutEngine {
    let workers: [EventLoop]
    let channels: ChannelDirectory
    /// Per worker, the channels published to in this loop iteration, handed over at its end:
    /// a worker reads exactly the rings that changed, never scans them all.
    private var changed: [[ChannelID]]
    /// Comments published since start (every one was answered with code 0).
    private(set) var commentsPublished = 0
    /// What moderators took back, for comments still on their way and for history pages.
    private(set) var retractions = RetractionLog()

    init(workers: [EventLoop], channels: ChannelDirectory) {
        // Gateway.start refuses more workers than GatewayConfiguration.maxWorkers (64) bits.
        self.workers = workers
        self.channels = channels
        changed = Array(repeating: [], count: workers.count)
    }

    /// Numbers a comment (its `seq`, id and time) for the store; nothing is delivered yet.
    func prepare(_ draft: Gateway.CommentDraft) -> Result<Comment, WliveResultCode> {
        guard let record = channels.lookup(draft.channelID), record.state.acceptsComments else {
            return .failure(channels.state(of: draft.channelID) == nil ? .channelNotFound : .channelClosed)
        }
        let seq = record.nextSeq()
        return .success(
            Comment(
                id: "\(draft.channelID)-\(record.epoch)-\(seq)", seq: seq, channelID: draft.channelID,
                userID: draft.userID, source: draft.source, biz: draft.biz, extJSON: draft.extJSON,
                content: draft.content, commentType: draft.commentType, time: wallClockMilliseconds()))
    }

    /// Delivers a stored comment: into its ring, encoded once. A channel that ended while the
    /// comment was being stored still gets it, before its closing message if that is not out yet.
    func deliver(_ comment: Comment) {
        guard let record = channels.lookup(comment.channelID) else { return }
        record.delivered(comment.seq)
        commentsPublished += 1
        guard !retractions.contains(comment) else {
            // Purged while it was being stored: its seq is told as retracted, its text never shown.
            let now = wallClockMilliseconds()
            let gap = ServerMessage.gap(
                channelID: comment.channelID, fromSeq: comment.seq, toSeq: comment.seq, reason: .retracted, time: now)
            append(.notice, seq: comment.seq, gap, to: record)
            return
        }
        append(.comment, seq: comment.seq, ServerMessage.comment(comment), to: record)
    }

    /// Seqs `from...to` will never be delivered here (a cluster's history no longer holds them,
    /// or they were taken back): the subscribers get one `gap` naming them.
    func skip(_ id: ChannelID, from: UInt64, to: UInt64, reason: GapReason) {
        guard let record = channels.lookup(id) else { return }
        record.delivered(to)
        let gap = ServerMessage.gap(channelID: id, fromSeq: from, toSeq: to, reason: reason, time: wallClockMilliseconds())
        append(.notice, seq: to, gap, to: record)
    }

    /// A numbered comment was never stored: its `seq` is free again.
    func withdraw(_ comment: Comment) {
        channels.lookup(comment.channelID)?.withdraw(comment.seq)
    }

    /// Tells a channel's subscribers its watcher counts.
    func announceWatchers(channel: ChannelID, online: Int, total: Int) {
        guard let record = channels.lookup(channel), !record.state.isFinal else { return }
        record.setWatchers(online: online, total: total)
        append(
            .notice, seq: record.lastSeq,
            .notice(channelID: channel, kind: "online_count", counts: record.counts(), time: wallClockMilliseconds()), to: record)
    }

    /// Moves a room to another state that is not final and tells its subscribers (`status`).
    func changeState(_ id: ChannelID, to state: ChannelState, reason: String) -> Result<Void, WliveResultCode> {
        switch channels.transition(id, to: state) {
        case .failure(.notFound): return .failure(.channelNotFound)
        case .failure(.alreadyFinished): return .failure(.channelClosed)
        case .success(let record):
            append(
                .notice, seq: record.lastSeq,
                .status(channelID: id, state: state, reason: reason, time: wallClockMilliseconds()), to: record)
            return .success(())
        }
    }

    /// Tells a room's subscribers its likes, the total and those since the last notice.
    func announceLikes(channel: ChannelID, total: Int64, delta: Int64) {
        guard let record = channels.lookup(channel) else { return }
        append(
            .notice, seq: record.lastSeq,
            .likes(channelID: channel, total: total, delta: delta, time: wallClockMilliseconds()), to: record)
    }

    /// Takes comments back: the ring's copies are marked so no replay shows them again, and
    /// the subscribers get one `comment_deleted` each.
    func retract(_ id: ChannelID, comments: [(id: String, seq: UInt64)], reason: String) {
        guard let record = channels.lookup(id) else { return }
        let now = wallClockMilliseconds()
        for comment in comments {
            retractions.retract(id, seq: comment.seq)
            ringComment(of: record, seq: comment.seq)?.retract()
            append(
                .notice, seq: record.lastSeq,
                .commentDeleted(channelID: id, id: comment.id, seq: comment.seq, reason: reason, time: now),
                to: record)
        }
    }

    /// Takes back every comment of one user since `since` (Unix ms): those the ring holds are
    /// marked, and the subscribers get one `comments_purged`.
    func purge(_ id: ChannelID, userID: String, source: Int, since: Int64) {
        guard let record = channels.lookup(id) else { return }
        retractions.purge(id, userID: userID, source: source, since: since)
        let ring = record.ring
        for position in ring.oldestReadable..<ring.publishedCount {
            // The log just took the purge: its rule is the one match for ring, delivery and history.
            guard let entry = ring.peek(position), entry.kind == .comment, case .comment(let comment) = entry.message,
                retractions.contains(comment)
            else { continue }
            entry.retract()
        }
        append(
            .notice, seq: record.lastSeq,
            .commentsPurged(channelID: id, userID: userID, source: source, fromTime: since, time: wallClockMilliseconds()),
            to: record)
    }

    /// Changes a room's modes or pin, for later acknowledgements and, now, its subscribers.
    func changeModeration(_ id: ChannelID, modes: RoomModes? = nil, pinned: Comment?? = nil) {
        guard let record = channels.lookup(id) else { return }
        let now = wallClockMilliseconds()
        record.setModeration { moderation in
            if let modes { moderation.modes = modes }
            if let pinned { moderation.pinned = pinned }
        }
        if let modes { append(.notice, seq: record.lastSeq, .modes(channelID: id, modes: modes, time: now), to: record) }
        if let pinned { append(.notice, seq: record.lastSeq, .pinned(channelID: id, comment: pinned, time: now), to: record) }
    }

    /// The ring's entry of comment `seq`, found by bisection: seqs never fall along the ring,
    /// and a comment comes before the notices that carry its seq.
    private func ringComment(of record: ChannelRecord, seq: UInt64) -> ChannelMessage? {
        let ring = record.ring
        var low = ring.oldestReadable
        var high = ring.publishedCount
        while low < high {
            let middle = low + (high - low) / 2
            guard let entry = ring.peek(middle) else { return nil }
            if entry.seq < seq { low = middle + 1 } else { high = middle }
        }
        guard let entry = ring.peek(low), entry.kind == .comment, entry.seq == seq else { return nil }
        return entry
    }

    /// Ends a channel in `state` (ended, banned, expired): later handshakes and comments get
    /// code 2; subscribers receive what was published before, then a `status` notice and
    /// `channel_closed`, then a normal close.
    func close(_ id: ChannelID, as state: ChannelState = .ended, reason: String) -> Result<Void, WliveResultCode> {
        switch channels.finish(id, as: state) {
        case .failure(.notFound): return .failure(.channelNotFound)
        case .failure(.alreadyFinished): return .failure(.channelClosed)
        case .success(let record):
            retractions.forget(id)
            let now = wallClockMilliseconds()
            append(.notice, seq: record.lastSeq, .status(channelID: id, state: state, reason: reason, time: now), to: record)
            append(
                .closing, seq: record.lastSeq, .channelClosed(channelID: id, state: state, reason: reason, time: now),
                to: record)
            return .success(())
        }
    }

    private func append(_ kind: ChannelMessage.Kind, seq: UInt64, _ message: ServerMessage, to record: ChannelRecord) {
        // Encoded here, once, when some worker has subscribers to write it to; otherwise only
        // if a reader ever asks for it.
        let entry =
            record.interestedWorkers == 0
            ? ChannelMessage(kind, seq: seq, message: message, publishedAt: uv_hrtime())
            : ChannelMessage(kind, seq: seq, message: message, frame: SharedFrame(message), publishedAt: uv_hrtime())
        record.ring.publish(entry)
        var mask = record.interestedWorkers
        while mask != 0 {
            let worker = mask.trailingZeroBitCount
            mask &= mask - 1
            // Consecutive publishes to one channel list it once; a repeat costs the worker one look.
            if worker < changed.count, changed[worker].last != record.id { changed[worker].append(record.id) }
        }
    }

    /// Hands every worker the channels that changed for it; runs once per ingest-loop iteration.
    func flushWakeups() {
        for worker in changed.indices where !changed[worker].isEmpty {
            workers[worker].channelsChanged(changed[worker])
            changed[worker].removeAll(keepingCapacity: true)
        }
    }
}
