import Synchronization
import WliveProtocol

/// One channel's shared state: read by every loop, written by whoever publishes.
public final class ChannelRecord: Sendable {
    public let id: ChannelID
    /// Which life of the room its `seq`s count in (`ChannelInfo.epoch`).
    public let epoch: UInt64
    /// The channel's messages on their way to the worker loops.
    public let ring: ChannelRing<ChannelMessage>
    /// One bit per worker loop that has subscribers of this channel: whom to wake.
    private let interest = Atomic<UInt64>(0)
    private let deliveredCount = Atomic<Int>(0)
    private let gapCount = Atomic<Int>(0)
    /// The room's `ChannelState` (its raw code), as the ingest side last set it.
    private let stateCode = Atomic<Int>(ChannelState.live.rawValue)
    private let subscribers = Atomic<Int>(0)
    private let watchersOnline = Atomic<Int>(0)
    private let watchersTotal = Atomic<Int>(0)
    /// Modes, pin and privacy, as the ingest side last set them; read by each handshake.
    private let moderationState = Mutex(RoomModeration())
    /// The newest comment delivered into the ring.
    private let sequence: Atomic<UInt64>
    /// The newest `seq` handed out (ingest side only): ahead of `sequence` while comments wait
    /// to be stored.
    private let assigned: Atomic<UInt64>

    init(id: ChannelID, epoch: UInt64, lastSeq: UInt64, ring: ChannelRing<ChannelMessage>) {
        self.id = id
        self.epoch = epoch
        self.ring = ring
        sequence = Atomic(lastSeq)
        assigned = Atomic(lastSeq)
    }

    /// The workers to wake after publishing (bit `n` for worker `n`).
    package var interestedWorkers: UInt64 { interest.load(ordering: .sequentiallyConsistent) }

    /// Worker `worker` starts or stops serving the channel. Set before the worker reads its
    /// starting cursor, so that no later publish can miss waking it.
    package func setInterest(of worker: Int, _ interested: Bool) {
        if interested {
            interest.bitwiseOr(1 << UInt64(worker), ordering: .sequentiallyConsistent)
        } else {
            interest.bitwiseAnd(~(1 << UInt64(worker)), ordering: .sequentiallyConsistent)
        }
    }

    /// Messages written to subscribers (one per message per subscriber), and gap notices sent.
    public var delivered: Int { deliveredCount.load(ordering: .relaxed) }
    public var gaps: Int { gapCount.load(ordering: .relaxed) }
    package func countDelivered(_ count: Int) { deliveredCount.add(count, ordering: .relaxed) }
    package func countGap() { gapCount.add(1, ordering: .relaxed) }

    /// The room's state; only the ingest side changes it, through the directory.
    public var state: ChannelState { ChannelState(rawValue: stateCode.load(ordering: .acquiring)) ?? .ended }

    /// Moves the room to `state`; returns the state it left.
    fileprivate func transition(to state: ChannelState) -> ChannelState {
        ChannelState(rawValue: stateCode.exchange(state.rawValue, ordering: .acquiringAndReleasing)) ?? .ended
    }

    /// The room's modes, pinned comment and privacy, for acknowledgements and handshake checks.
    public var moderation: RoomModeration { moderationState.withLock { $0 } }

    /// Changes them; ingest side only (it also pushes the change to the subscribers).
    package func setModeration(_ change: (inout RoomModeration) -> Void) { moderationState.withLock { change(&$0) } }

    /// Sockets subscribed to the channel right now, over every loop.
    public var subscriberCount: Int { subscribers.load(ordering: .relaxed) }

    /// Counts a subscriber in (+1) or out (-1). Relaxed: the counts are only ever displayed.
    package func adjustSubscribers(by delta: Int) { subscribers.wrappingAdd(delta, ordering: .relaxed) }

    /// Mirrors the API's watcher counts (joinLive/leaveLive) for the messages the loops send.
    package func setWatchers(online: Int, total: Int) {
        watchersOnline.store(online, ordering: .relaxed)
        watchersTotal.store(total, ordering: .relaxed)
    }

    /// The counts to report, with `extraConnections` more sockets than are subscribed yet.
    public func counts(extraConnections: Int = 0) -> ChannelCounts {
        ChannelCounts(
            online: watchersOnline.load(ordering: .relaxed), total: watchersTotal.load(ordering: .relaxed),
            connections: subscriberCount + extraConnections)
    }

    /// The sequence number of the newest comment delivered (0 before the first).
    public var lastSeq: UInt64 { sequence.load(ordering: .acquiring) }

    /// Takes the next sequence number for a comment on its way to the store. The ingest side
    /// numbers and delivers comments in one order, so they leave in the order numbered.
    package func nextSeq() -> UInt64 { assigned.wrappingAdd(1, ordering: .relaxed).newValue }

    /// A numbered comment is in the ring: readers may now expect `seq`.
    package func delivered(_ seq: UInt64) { sequence.store(seq, ordering: .releasing) }

    /// A numbered comment was never stored: numbering goes back to before it (to the lowest
    /// such seq when several fail together).
    package func withdraw(_ seq: UInt64) {
        if seq > 0, assigned.load(ordering: .relaxed) >= seq { assigned.store(seq - 1, ordering: .relaxed) }
    }
}

/// What a room's viewers are told as they join, and checked against, besides its state.
public struct RoomModeration: Sendable, Equatable {
    public var modes = RoomModes()
    public var pinned: Comment?
    /// Handshakes need a signed viewer token for this room.
    public var isPrivate = false
    /// The room's owner, whose own socket (with its login token) counts as the anchor's presence.
    public var ownerUserID = ""
    public var ownerSource = 0

    public init(
        modes: RoomModes = RoomModes(), pinned: Comment? = nil, isPrivate: Bool = false, ownerUserID: String = "",
        ownerSource: Int = 0
    ) {
        self.modes = modes
        self.pinned = pinned
        self.isPrivate = isPrivate
        self.ownerUserID = ownerUserID
        self.ownerSource = ownerSource
    }
}

/// Every channel the gateway knows, by id, with its `ChannelState`: the push tier's index of
/// rooms. Thread-safe: worker loops look channels up on handshakes; only the ingest side (the
/// API, which keeps each room's record and watchers in its store) opens them and changes their
/// state, in the same call that changes its store.
///
/// A finished channel leaves only its final state here, so that later handshakes learn it is
/// closed (code 2). Its record, with the ring and its messages, is freed once the last worker
/// that served it has delivered the closing message and dropped it.
public final class ChannelDirectory: Sendable {
    private enum Entry {
        /// Not over: its fan-out record, whose `state` says which of the states it is in.
        case open(ChannelRecord)
        /// Over for good (`ChannelState.isFinal`): only the final state is kept.
        case finished(ChannelState)
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

    /// Opens a live channel whose numbering goes on after `lastSeq`; returns nil when the id is taken.
    @discardableResult
    package func open(
        _ id: ChannelID, epoch: UInt64 = 1, lastSeq: UInt64 = 0, state: ChannelState = .live,
        moderation: RoomModeration = RoomModeration()
    ) -> ChannelRecord? {
        channels.withLock { channels in
            guard channels[id] == nil else { return nil }
            let record = ChannelRecord(
                id: id, epoch: epoch, lastSeq: lastSeq, ring: ChannelRing(capacity: ringCapacity, tracker: tracker))
            _ = record.transition(to: state)
            record.setModeration { $0 = moderation }
            channels[id] = state.isFinal ? .finished(state) : .open(record)
            return record
        }
    }

    /// Ends a channel for good in `state` (`ended`, `banned`, `expired`), keeping only that
    /// state; returns its record, which the caller publishes the closing message to.
    package func finish(_ id: ChannelID, as state: ChannelState = .ended) -> Result<ChannelRecord, FinishError> {
        precondition(state.isFinal, "finish(_:as:) takes a final state")
        return move(id, to: state)
    }

    package enum FinishError: Error, Equatable, Sendable { case notFound, alreadyFinished }

    /// Moves a room that is not over to another state that is not final either (paused, live
    /// again, abnormal); returns its record. `finish(_:as:)` ends a room.
    package func transition(_ id: ChannelID, to state: ChannelState) -> Result<ChannelRecord, FinishError> {
        precondition(!state.isFinal, "transition(_:to:) takes a state that is not final")
        return move(id, to: state)
    }

    /// Moves a room that is not over to `state`; a final one leaves only that state behind.
    private func move(_ id: ChannelID, to state: ChannelState) -> Result<ChannelRecord, FinishError> {
        channels.withLock { channels in
            switch channels[id] {
            case nil: return .failure(.notFound)
            case .finished: return .failure(.alreadyFinished)
            case .open(let record):
                _ = record.transition(to: state)
                if state.isFinal { channels[id] = .finished(state) }
                return .success(record)
            }
        }
    }

    /// The record of a channel that is not over; nil for a finished or unknown one.
    public func lookup(_ id: ChannelID) -> ChannelRecord? {
        channels.withLock { channels in
            guard case .open(let record) = channels[id] else { return nil }
            return record
        }
    }

    /// The channel's state; nil when unknown.
    public func state(of id: ChannelID) -> ChannelState? {
        channels.withLock { channels in
            switch channels[id] {
            case nil: return nil
            case .finished(let state): return state
            case .open(let record): return record.state
            }
        }
    }

    /// Channels known, live and closed.
    public var count: Int { channels.withLock { $0.count } }

    /// Every open channel's record, and how many finished ones are known (for the admin port).
    public func census() -> (open: [ChannelRecord], finished: Int) {
        channels.withLock { channels in
            var open: [ChannelRecord] = []
            open.reserveCapacity(channels.count)
            var finished = 0
            for entry in channels.values {
                switch entry {
                case .open(let record): open.append(record)
                case .finished: finished += 1
                }
            }
            return (open, finished)
        }
    }

}
