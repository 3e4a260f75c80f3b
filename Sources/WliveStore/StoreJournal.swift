import WliveProtocol

/// The API loop's way to its durable store: changes go in as they happen, and an answer that
/// depends on them waits for `whenDurable`. Reads are asynchronous too, since a store's I/O
/// never runs on an event loop. Every callback runs on the API's loop, in the order asked.
public protocol StoreJournal: AnyObject {
    /// How many changes were recorded so far: a mark to tell whether a call recorded any.
    var recordedCount: Int { get }
    func record(_ change: StoreChange)
    /// Runs `body` once everything recorded so far is durable (`true`), or could not be made
    /// so (`false`: nothing of it may be acknowledged).
    func whenDurable(_ body: @escaping (Bool) -> Void)
    /// Up to `limit` retained comments of `channel` after `seq`, oldest first.
    func comments(
        of channel: ChannelID, after seq: UInt64, limit: Int, completion: @escaping (Result<CommentPage, StoreError>) -> Void)
}

/// A journal that writes through at once, on the caller's thread: for a store with no I/O
/// (`MemoryHistoryStore`), and for tests.
public final class InlineJournal: StoreJournal {
    public let store: any DurableStore
    public private(set) var recordedCount = 0
    /// Whether a write failed since the last `whenDurable`.
    private var failed = false

    public init(store: any DurableStore) { self.store = store }

    public func record(_ change: StoreChange) {
        recordedCount += 1
        do { try store.apply([change]) } catch { failed = true }
    }

    public func whenDurable(_ body: @escaping (Bool) -> Void) {
        let stored = !failed
        failed = false
        body(stored)
    }

    public func comments(
        of channel: ChannelID, after seq: UInt64, limit: Int, completion: @escaping (Result<CommentPage, StoreError>) -> Void
    ) {
        completion(store.read(channel, after: seq, limit: limit))
    }
}
