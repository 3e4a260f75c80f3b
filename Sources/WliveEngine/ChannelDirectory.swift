import Synchronization
import WliveProtocol

/// One channel's shared state: read by every loop, written by whoever publishes.
public final class ChannelRecord: Sendable {
    public let id: ChannelID
    /// The channel's messages on their way to the worker loops.
    public let ring: ChannelRing<ChannelMessage>
    /// One bit per worker loop that has subscribers of this channel: whom to wake.
    private let interest = Atomic<UInt64>(0)
    private let deliveredCount = Atomic<Int>(0)
    private let gapCount = Atomic<Int>(0)
    private let closedFlag = Atomic<Bool>(false)
    private let subscribers = Atomic<Int>(0)
    private let watchersOnline = Atomic<Int>(0)
    private let watchersTotal = Atomic<Int>(0)
    private let sequence = Atomic<UInt64>(0)

    init(id: ChannelID, ring: ChannelRing<ChannelMessage>) {
        self.id = id
        self.ring = ring
    }

    /// The workers to wake after publishing (bit `n` for worker `n`).
    public var interestedWorkers: UInt64 { interest.load(ordering: .sequentiallyConsistent) }

    /// Worker `worker` starts or stops serving the channel. Set before the worker reads its
    /// starting cursor, so that no later publish can miss waking it.
    public func setInterest(of worker: Int, _ interested: Bool) {
        if interested {
            interest.bitwiseOr(1 << UInt64(worker), ordering: .sequentiallyConsistent)
        } else {
            interest.bitwiseAnd(~(1 << UInt64(worker)), ordering: .sequentiallyConsistent)
        }
    }

    /// Messages written to subscribers (one per message per subscriber), and gap notices sent.
    public var delivered: Int { deliveredCount.load(ordering: .relaxed) }
    public var gaps: Int { gapCount.load(ordering: .relaxed) }
    public func countDelivered(_ count: Int) { deliveredCount.add(count, ordering: .relaxed) }
    public func countGap() { gapCount.add(1, ordering: .relaxed) }

    public var status: ChannelStatus { closedFlag.load(ordering: .acquiring) ? .closed : .live }

    /// Marks the channel closed; false when it already was.
    func markClosed() -> Bool {
        !closedFlag.exchange(true, ordering: .acquiringAndReleasing)
    }

    /// Sockets subscribed to the channel right now, over every loop.
    public var subscriberCount: Int { subscribers.load(ordering: .relaxed) }

    /// Counts a subscriber in (+1) or out (-1). Relaxed: the counts are only ever displayed.
    public func adjustSubscribers(by delta: Int) { subscribers.wrappingAdd(delta, ordering: .relaxed) }

    /// Mirrors the API's watcher counts (joinLive/leaveLive) for the messages the loops send.
    public func setWatchers(online: Int, total: Int) {
        watchersOnline.store(online, ordering: .relaxed)
        watchersTotal.store(total, ordering: .relaxed)
    }

    /// The counts to report, with `extraConnections` more sockets than are subscribed yet.
    public func counts(extraConnections: Int = 0) -> ChannelCounts {
        ChannelCounts(
            online: watchersOnline.load(ordering: .relaxed), total: watchersTotal.load(ordering: .relaxed),
            connections: subscriberCount + extraConnections)
    }

    /// The sequence number of the newest comment (0 before the first).
    public var lastSeq: UInt64 { sequence.load(ordering: .acquiring) }

    /// Takes the next sequence number. Callers serialise publishing per channel, so the numbers
    /// leave in the order they were taken.
    public func nextSeq() -> UInt64 { sequence.wrappingAdd(1, ordering: .acquiringAndReleasing).newValue }
}

/// Every channel the gateway knows, by id. Thread-safe: loops look channels up on handshakes,
/// the API opens and closes them.
///
/// A closed channel leaves only a tombstone here, so that later handshakes learn it is closed
/// (code 2). Its record, with the ring and its messages, is freed once the last worker that
/// served it has delivered the closing message and dropped it.
public final class ChannelDirectory: Sendable {
    private enum Entry {
        case live(ChannelRecord)
        case closed
    }

    private let channels = Mutex<[ChannelID: Entry]>([:])
    /// Entries per channel ring (a power of two).
    public let ringCapacity: Int
    /// Shared by every ring: one epoch per worker loop.
    public let tracker: QuiescenceTracker

    public init(ringCapacity: Int = 4096, workers: Int = 1) {
        self.ringCapacity = ringCapacity
        tracker = QuiescenceTracker(consumers: workers)
    }

    /// Opens a channel; returns nil when the id is taken.
    @discardableResult
    public func open(_ id: ChannelID) -> ChannelRecord? {
        channels.withLock { channels in
            guard channels[id] == nil else { return nil }
            let record = ChannelRecord(id: id, ring: ChannelRing(capacity: ringCapacity, tracker: tracker))
            channels[id] = .live(record)
            return record
        }
    }

    /// Closes a channel, leaving a tombstone; returns its record, which the caller publishes the
    /// closing message to.
    public func close(_ id: ChannelID) -> Result<ChannelRecord, CloseError> {
        channels.withLock { channels in
            switch channels[id] {
            case nil: return .failure(.notFound)
            case .closed: return .failure(.alreadyClosed)
            case .live(let record):
                _ = record.markClosed()
                channels[id] = .closed
                return .success(record)
            }
        }
    }

    public enum CloseError: Error, Equatable, Sendable { case notFound, alreadyClosed }

    /// A live channel's record; nil for a closed or unknown one.
    public func lookup(_ id: ChannelID) -> ChannelRecord? {
        channels.withLock { channels in
            guard case .live(let record) = channels[id] else { return nil }
            return record
        }
    }

    /// The channel's status; nil when unknown.
    public func status(of id: ChannelID) -> ChannelStatus? {
        channels.withLock { channels in
            switch channels[id] {
            case nil: return nil
            case .closed: return .closed
            case .live(let record): return record.status
            }
        }
    }

    /// Channels known, live and closed.
    public var count: Int { channels.withLock { $0.count } }

    /// Every live channel's record, and how many closed ones are known (for the admin port).
    public func census() -> (live: [ChannelRecord], closed: Int) {
        channels.withLock { channels in
            var live: [ChannelRecord] = []
            live.reserveCapacity(channels.count)
            var closed = 0
            for entry in channels.values {
                switch entry {
                case .live(let record): live.append(record)
                case .closed: closed += 1
                }
            }
            return (live, closed)
        }
    }

}
