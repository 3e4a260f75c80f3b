import WliveCodec
import WliveProtocol

/// What one subscriber's socket does for fan-out; the transport implements it. Its calls may
/// end a subscription (a failed write closes the connection): the consumer allows for that.
public protocol FanOutWriter: AnyObject {
    associatedtype Element: Subscriber
    /// Bytes queued for the subscriber that its socket has not taken yet.
    func queuedBytes(of subscriber: Element) -> Int
    /// Writes the batch (after `gap`, when there is one) in one go. Returns true when part of it
    /// is still in flight: the transport then calls `FanOutConsumer.writeCompleted` once it is done.
    func write(_ batch: FanOutBatch, gap: ServerMessage?, to subscriber: Element) -> Bool
    /// The subscriber reads too slowly (`disconnect` policy): close it with 1013.
    func dropSlowReader(_ subscriber: Element)
    /// Its channel ended and everything before the end was written: close it normally.
    func closeAtChannelEnd(_ subscriber: Element)
}

/// Messages that leave in one write. A batch read from a ring is shared by every subscriber it
/// goes to; the transport may keep what it derives from it for each encoding (its I/O vectors)
/// through `transportCache(for:)`.
public final class FanOutBatch {
    public let messages: [ChannelMessage]
    /// Wire bytes of all the messages.
    public let byteCount: Int
    /// The publication times (`ChannelMessage.publishedAt`) of the oldest and the newest
    /// message, and their sum: what a latency histogram needs to count a whole write at once.
    public let oldestPublishedAt: UInt64
    public let newestPublishedAt: UInt64
    public let publishedAtSum: UInt64
    // One slot per encoding, stored inline: a batch is made per ring read, and an array here
    // would cost an allocation each time.
    private var plainCache: AnyObject?
    private var deflatedCache: AnyObject?
    private var eventCache: AnyObject?

    /// What the transport derived from this batch for `encoding`, if it did.
    public func transportCache(for encoding: ChannelMessage.Encoding) -> AnyObject? {
        switch encoding {
        case .webSocket: plainCache
        case .webSocketDeflated: deflatedCache
        case .serverSentEvent: eventCache
        }
    }

    public func setTransportCache(_ cache: AnyObject, for encoding: ChannelMessage.Encoding) {
        switch encoding {
        case .webSocket: plainCache = cache
        case .webSocketDeflated: deflatedCache = cache
        case .serverSentEvent: eventCache = cache
        }
    }

    public init(_ messages: [ChannelMessage]) {
        self.messages = messages
        var bytes = 0
        var oldest = UInt64.max
        var newest = UInt64.min
        var sum: UInt64 = 0
        for message in messages {
            bytes += message.frame.count
            oldest = min(oldest, message.publishedAt)
            newest = max(newest, message.publishedAt)
            sum &+= message.publishedAt
        }
        byteCount = bytes
        oldestPublishedAt = oldest
        newestPublishedAt = newest
        publishedAtSum = sum
    }

    var endsChannel: Bool { messages.last?.kind == .closing }
}

/// What fan-out keeps per subscriber. It lives in the subscriber (no lookups on the hot path)
/// and only `FanOutConsumer` changes it.
public struct SubscriberFanOut: Sendable {
    /// A write to this subscriber has not completed: news waits in `pending` and leaves with the
    /// next write, all of it together.
    public fileprivate(set) var isWriting = false
    fileprivate var pending: [ChannelMessage] = []
    fileprivate var pendingBytes = 0
    /// Comments dropped for this subscriber and not reported yet.
    fileprivate var missed: MissedComments?

    public init() {}

    /// Messages waiting for the write in flight.
    public var pendingCount: Int { pending.count }

    /// Keeps `batch` for the write after the one in flight.
    fileprivate mutating func wait(for batch: FanOutBatch) {
        pending += batch.messages
        pendingBytes += batch.byteCount
    }

    /// Drops `messages` for a reader too slow to take them, with what waited: that is older, so
    /// the run of missed comments stays one unbroken range and nothing in it is delivered.
    fileprivate mutating func skip(_ messages: [ChannelMessage]) {
        if let skipped = Self.comments(in: pending + messages) {
            let run = missed ?? MissedComments(from: skipped.lowerBound, to: skipped.upperBound, reason: .slow)
            missed = MissedComments(
                from: min(run.from, skipped.lowerBound), to: max(run.to, skipped.upperBound), reason: run.reason)
        }
        pending = []
        pendingBytes = 0
    }

    /// A write starts: nothing waits any more; returns the missed run it must report first.
    fileprivate mutating func startWrite() -> MissedComments? {
        defer {
            missed = nil
            pending = []
            pendingBytes = 0
            isWriting = true
        }
        return missed
    }

    /// The lowest and highest comment `seq` among `messages`; nil when there is no comment.
    static func comments(in messages: [ChannelMessage]) -> ClosedRange<UInt64>? {
        var low = UInt64.max
        var high = UInt64.min
        for message in messages where message.kind == .comment {
            low = min(low, message.seq)
            high = max(high, message.seq)
        }
        return low <= high ? low...high : nil
    }
}

/// A run of comments someone missed, by `seq`, for a `gap` message.
public struct MissedComments: Sendable, Equatable {
    public var from: UInt64
    public var to: UInt64
    public var reason: GapReason
}

/// One worker's side of fan-out, as a plain state machine: which channels it serves, where it
/// reads each ring, and what each subscriber gets. No I/O: the transport hands it the channels
/// the producer said changed, and does the writes it asks for (`FanOutWriter`).
///
/// Batching comes from load, not from a clock: a subscriber with nothing in flight gets news at
/// once; what arrives while its write is in flight leaves together in its next write; and a
/// worker takes everything new in a ring in one pass. `maxDelay` can add an opt-in ceiling:
/// a channel written less than that long ago gathers until then.
///
/// A class, confined to its loop: a write may close a connection, which unsubscribes it while
/// a pass is under way.
public final class FanOutConsumer<Element: Subscriber> {
    public struct Policy: Sendable, Equatable {
        /// Unsent bytes a subscriber may have before the slow-reader policy applies.
        public var maxPendingBytes: Int
        /// Drop messages for a slow reader (and report them in a `gap`) instead of closing it.
        public var skipsSlowReaders: Bool
        /// Milliseconds a busy channel gathers news; 0: never (the default).
        public var maxDelay: UInt64

        public init(maxPendingBytes: Int = 1 << 20, skipsSlowReaders: Bool = false, maxDelay: UInt64 = 0) {
            self.maxPendingBytes = maxPendingBytes
            self.skipsSlowReaders = skipsSlowReaders
            self.maxDelay = maxDelay
        }
    }

    /// A channel this worker serves: where it reads the ring, the last comment it has seen, and
    /// (with `maxDelay`) when its news may next leave.
    struct Served {
        let record: ChannelRecord
        var cursor: UInt64
        var lastSeq: UInt64
        var due: UInt64 = 0
    }

    public let index: Int
    public let policy: Policy
    public private(set) var subscribers = SubscriberTable<Element>()
    private var served: [ChannelID: Served] = [:]
    private let tracker: QuiescenceTracker
    /// Unix milliseconds, for the `time` of gap messages; injectable for tests.
    private let wallClock: @Sendable () -> Int64

    /// What the last passes did, for the loop's counters.
    public struct Tally: Sendable, Equatable {
        /// Messages handed to subscribers (one per message per subscriber).
        public var delivered = 0
        /// Writes started.
        public var writes = 0
        /// Gap messages sent for a worker that fell more than a ring behind, and for slow readers
        /// whose messages were skipped.
        public var overrunGaps = 0
        public var slowGaps = 0
        /// Slow readers dropped or skipped.
        public var slowReaderActions = 0

        public init() {}
    }
    public var tally = Tally()

    /// - Parameter index: this worker's bit in each channel's interest mask.
    public init(index: Int, policy: Policy, tracker: QuiescenceTracker, wallClock: @escaping @Sendable () -> Int64) {
        self.index = index
        self.policy = policy
        self.tracker = tracker
        self.wallClock = wallClock
    }

    // MARK: Subscriptions

    /// Adds a subscriber; a channel's first subscriber here starts this worker reading its ring
    /// from now on.
    public func subscribe(_ subscriber: Element, to record: ChannelRecord) {
        if served[record.id] == nil {
            // Interest first: no publish after the cursor is read can miss waking this worker.
            record.setInterest(of: index, true)
            let cursor = record.ring.publishedCount
            served[record.id] = Served(record: record, cursor: cursor, lastSeq: record.lastSeq)
        }
        subscribers.add(subscriber, to: record.id)
    }

    /// What a resuming subscriber is owed.
    public enum Replay {
        /// Subscribed: these comments, after the resume point and before where this worker
        /// reads the ring, go out first (`replay(_:to:through:)`); the live stream follows.
        case fromRing([ChannelMessage])
        /// The ring no longer holds the comment after the resume point: not subscribed. Fetch
        /// what follows it from the history, then try again from the last comment fetched.
        case needsHistory
    }

    /// Subscribes a viewer that last saw comment `since`, when this worker's ring still holds
    /// everything after it; the replay and the live stream then meet with no hole and no repeat.
    public func subscribe(_ subscriber: Element, to record: ChannelRecord, resumingAfter since: UInt64) -> Replay {
        subscribe(subscriber, to: record)
        guard since < record.lastSeq else { return .fromRing([]) }
        guard let replay = ringReplay(of: record, after: since, before: served[record.id]!.cursor) else {
            unsubscribe(subscriber, from: record)
            return .needsHistory
        }
        return .fromRing(replay)
    }

    /// The comments after `since` in `record`'s ring up to position `end` (where this worker
    /// reads); nil when the ring no longer holds comment `since + 1`.
    private func ringReplay(of record: ChannelRecord, after since: UInt64, before end: UInt64) -> [ChannelMessage]? {
        tracker.enter(index)
        defer { tracker.leave(index) }
        let ring = record.ring
        let start = ring.oldestReadable
        guard start < end else { return nil }
        // The first position whose seq is past `since` (seqs never fall along the ring).
        var low = start
        var high = end
        while low < high {
            let middle = low + (high - low) / 2
            guard let entry = ring.peek(middle) else { return nil }
            if entry.seq <= since { low = middle + 1 } else { high = middle }
        }
        // At the window's start, only comment since + 1 itself proves nothing before it was lost.
        if low == start, let first = ring.peek(start), !(first.kind == .comment && first.seq == since + 1) { return nil }
        let read = ring.read(from: low, limit: Int(end - low))
        guard read.missed == 0 else { return nil }
        return ChannelMessage.withoutRetracted(
            read.elements.filter { $0.kind == .comment && $0.seq > since }, of: record.id, now: wallClock())
    }

    /// Writes a resuming subscriber's replay, ahead of anything live.
    public func replay<Writer: FanOutWriter>(_ messages: [ChannelMessage], to subscriber: Element, through writer: Writer)
    where Writer.Element == Element {
        guard !messages.isEmpty else { return }
        tally.delivered += messages.count
        start(FanOutBatch(messages), to: subscriber, through: writer)
    }

    /// Removes a subscriber; the channel's last one here stops this worker reading its ring.
    public func unsubscribe(_ subscriber: Element, from record: ChannelRecord) {
        subscribers.remove(subscriber, from: record.id)
        subscriber.fanOut = SubscriberFanOut()
        if subscribers.subscribers(of: record.id).isEmpty, served.removeValue(forKey: record.id) != nil {
            record.setInterest(of: index, false)
        }
    }

    /// Channels with subscribers here.
    public var servedChannelIDs: [ChannelID] { Array(served.keys) }

    // MARK: News

    /// Reads the news of `channels` (ids the producer said changed; unknown and repeated ones
    /// are fine) and delivers it. With `maxDelay`, returns when the earliest deferred channel is
    /// due (loop milliseconds), for the transport's timer.
    @discardableResult
    public func deliver<Writer: FanOutWriter>(
        _ channels: some Sequence<ChannelID>, now: UInt64, everything: Bool = false, through writer: Writer
    ) -> UInt64? where Writer.Element == Element {
        var nextDue: UInt64?
        var batches: [(ChannelRecord, FanOutBatch)] = []
        tracker.enter(index)
        for id in channels {
            guard var channel = served[id], channel.record.ring.publishedCount != channel.cursor else { continue }
            if policy.maxDelay > 0, !everything, now < channel.due {
                nextDue = min(nextDue ?? .max, channel.due)
                continue
            }
            let read = channel.record.ring.read(from: channel.cursor)
            channel.cursor = read.next
            channel.due = now &+ policy.maxDelay
            var messages = read.elements
            if let lost = Self.lostComments(after: channel.lastSeq, before: messages.first, ringMissed: read.missed) {
                // This worker fell more than a ring behind: say exactly what was lost.
                messages.insert(
                    ChannelMessage(
                        .notice, seq: lost.to,
                        message: .gap(channelID: id, fromSeq: lost.from, toSeq: lost.to, reason: .overrun, time: wallClock()),
                        publishedAt: messages.first?.publishedAt ?? 0), at: 0)
                tally.overrunGaps += 1
                channel.record.countGap()
            }
            if let last = read.elements.last { channel.lastSeq = max(channel.lastSeq, last.seq) }
            served[id] = channel
            if !messages.isEmpty { batches.append((channel.record, FanOutBatch(messages))) }
        }
        tracker.leave(index)
        for (record, batch) in batches { deliver(batch, of: record, through: writer) }
        return nextDue
    }

    /// The comments lost between the last one seen and the first entry read after an overrun.
    static func lostComments(after lastSeq: UInt64, before first: ChannelMessage?, ringMissed: UInt64) -> MissedComments? {
        guard ringMissed > 0, let first else { return nil }
        let lastLost = first.kind == .comment ? first.seq &- 1 : first.seq
        guard lastLost > lastSeq, lastLost != .max else { return nil }
        return MissedComments(from: lastSeq + 1, to: lastLost, reason: .overrun)
    }

    private func deliver<Writer: FanOutWriter>(_ batch: FanOutBatch, of record: ChannelRecord, through writer: Writer)
    where Writer.Element == Element {
        let audience = subscribers.subscribers(of: record.id)
        var delivered = 0
        for subscriber in audience where offer(batch, to: subscriber, through: writer) {
            delivered += batch.messages.count
        }
        tally.delivered += delivered
        record.countDelivered(delivered)
        if batch.endsChannel {
            for subscriber in audience { writer.closeAtChannelEnd(subscriber) }
        }
    }

    /// Hands one batch to one subscriber: now, after its write in flight, or not at all when it
    /// reads too slowly. Returns whether it will get the messages.
    private func offer<Writer: FanOutWriter>(_ batch: FanOutBatch, to subscriber: Element, through writer: Writer) -> Bool
    where Writer.Element == Element {
        let unsent = writer.queuedBytes(of: subscriber) + subscriber.fanOut.pendingBytes
        // A reader with nothing unsent keeps up, however large the batch: a worker that woke
        // late (and read many comments at once) must not pass for a slow reader.
        if unsent > 0, unsent + batch.byteCount > policy.maxPendingBytes, !batch.endsChannel {
            tally.slowReaderActions += 1
            if policy.skipsSlowReaders { subscriber.fanOut.skip(batch.messages) } else { writer.dropSlowReader(subscriber) }
            return false
        }
        if subscriber.fanOut.isWriting, !batch.endsChannel {
            subscriber.fanOut.wait(for: batch)
            return true
        }
        // At the channel's end, what waited leaves now, queued behind the write in flight.
        let waiting = subscriber.fanOut.pending
        start(waiting.isEmpty ? batch : FanOutBatch(waiting + batch.messages), to: subscriber, through: writer)
        return true
    }

    /// A write to `subscriber` completed: whatever waited for it leaves, in one write.
    public func writeCompleted<Writer: FanOutWriter>(_ subscriber: Element, through writer: Writer)
    where Writer.Element == Element {
        subscriber.fanOut.isWriting = false
        guard !subscriber.fanOut.pending.isEmpty else { return }
        start(FanOutBatch(subscriber.fanOut.pending), to: subscriber, through: writer)
    }

    /// Writes `batch` to `subscriber`, after a gap message for what it missed, if anything.
    private func start<Writer: FanOutWriter>(_ batch: FanOutBatch, to subscriber: Element, through writer: Writer)
    where Writer.Element == Element {
        var gap: ServerMessage?
        if let missed = subscriber.fanOut.startWrite(), let channel = subscriber.channelID {
            gap = .gap(channelID: channel, fromSeq: missed.from, toSeq: missed.to, reason: missed.reason, time: wallClock())
            if missed.reason == .overrun { tally.overrunGaps += 1 } else { tally.slowGaps += 1 }
        }
        tally.writes += 1
        // A failed write closes the connection (resetting its state) before the writer returns.
        if !writer.write(batch, gap: gap, to: subscriber) { subscriber.fanOut.isWriting = false }
    }
}
