import WliveProtocol

/// Where rooms, watchers and comments last. An implementation is used from one thread at a
/// time (the gateway gives SQLite a thread of its own) and may block on I/O; every method may
/// throw, and a failed `apply` changed nothing.
public protocol DurableStore: AnyObject {
    /// Every room kept, for the gateway to start from.
    func load() throws -> [StoredChannel]
    /// Every ban still in force at `now` (Unix ms).
    func loadBans(now: Int64) throws -> [UserBan]
    /// Writes `changes` as one transaction (the group commit of one loop turn), then drops
    /// comments over `history.max_per_channel` in the rooms it touched.
    func apply(_ changes: [StoreChange]) throws
    /// Up to `limit` retained comments of `channel` with `seq` greater than `seq`, oldest first.
    func comments(of channel: ChannelID, after seq: UInt64, limit: Int) throws -> CommentPage
    /// Upkeep right after a commit's callers were told, so that it delays none of them.
    func afterCommit()
    /// Upkeep, every few seconds between writes: drops comments older than `history.max_age`
    /// (and whatever else keeps the store small and quick).
    func maintain(now: Int64) throws
}

/// What a durable store failed at, with the file it names.
public struct StoreError: Error, CustomStringConvertible, Sendable {
    public var description: String

    public init(_ description: String) { self.description = description }
}

extension DurableStore {
    public func afterCommit() {}

    public func loadBans(now: Int64) throws -> [UserBan] { [] }

    /// `comments(of:after:limit:)` with its error as a `StoreError`, to hand across threads.
    public func read(_ channel: ChannelID, after seq: UInt64, limit: Int) -> Result<CommentPage, StoreError> {
        do {
            return .success(try comments(of: channel, after: seq, limit: limit))
        } catch let error as StoreError {
            return .failure(error)
        } catch {
            return .failure(StoreError("\(error)"))
        }
    }
}
