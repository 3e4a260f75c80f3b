import Synchronization
import WliveProtocol

/// One channel's shared state: read by every loop, written by whoever publishes.
public final class ChannelRecord: Sendable {
    public let id: ChannelID
    private let closedFlag = Atomic<Bool>(false)
    private let online = Atomic<Int>(0)
    private let sequence = Atomic<UInt64>(0)

    init(id: ChannelID) { self.id = id }

    public var status: ChannelStatus { closedFlag.load(ordering: .acquiring) ? .closed : .live }

    /// Marks the channel closed; false when it already was.
    func markClosed() -> Bool {
        !closedFlag.exchange(true, ordering: .acquiringAndReleasing)
    }

    /// Viewers connected to the channel right now, over every loop.
    public var onlineCount: Int { online.load(ordering: .relaxed) }

    /// Counts a subscriber in (+1) or out (-1). A relaxed count: it is only ever displayed.
    public func adjustOnline(by delta: Int) { online.wrappingAdd(delta, ordering: .relaxed) }

    /// The sequence number of the newest comment (0 before the first).
    public var lastSeq: UInt64 { sequence.load(ordering: .acquiring) }

    /// Takes the next sequence number. Callers serialise publishing per channel, so the numbers
    /// leave in the order they were taken.
    public func nextSeq() -> UInt64 { sequence.wrappingAdd(1, ordering: .acquiringAndReleasing).newValue }
}

/// Every channel the gateway knows, by id. Thread-safe: loops look channels up on handshakes,
/// the API opens and closes them.
public final class ChannelDirectory: Sendable {
    private let channels = Mutex<[ChannelID: ChannelRecord]>([:])

    public init() {}

    /// Opens a channel; returns nil when the id is taken.
    @discardableResult
    public func open(_ id: ChannelID) -> ChannelRecord? {
        channels.withLock { channels in
            guard channels[id] == nil else { return nil }
            let record = ChannelRecord(id: id)
            channels[id] = record
            return record
        }
    }

    /// Closes a channel. Its record stays so later handshakes learn it is closed (code 2).
    public func close(_ id: ChannelID) -> Result<ChannelRecord, CloseError> {
        guard let record = lookup(id) else { return .failure(.notFound) }
        return record.markClosed() ? .success(record) : .failure(.alreadyClosed)
    }

    public enum CloseError: Error, Equatable, Sendable { case notFound, alreadyClosed }

    public func lookup(_ id: ChannelID) -> ChannelRecord? {
        channels.withLock { $0[id] }
    }

    public var count: Int { channels.withLock { $0.count } }
}
