import Foundation
import Synchronization
import WliveStore

/// Keeps the write-ahead log's copying off the writer: a connection and a thread of its own
/// copy the log into the database file every 100 ms with a passive checkpoint, which never
/// blocks a commit (small and often: a second's worth at a time took 15-20 ms of I/O and
/// raised the p99 by 2 ms). Left to SQLite, the commit that crosses the log's limit runs the
/// checkpoint and its fsyncs itself, every few hundred commits, and every comment behind it
/// waits: with many-channels' 2,000 comments a second, the delivery p99 rose from 1.5 ms to
/// 8 ms. A busy writer never lets a passive checkpoint catch up, though, so the writer starts
/// the log over itself once it passes `SQLiteStore.restartPages`, when little is left to copy.
final class SQLiteCheckpointer: @unchecked Sendable {
    // @unchecked: `database` is used on the checkpointer's thread only, once started; `stopping`
    // is under `condition`.
    private let database: SQLiteDatabase
    private let condition = NSCondition()
    private var stopping = false
    private let finished = DispatchSemaphore(value: 0)
    /// The log's size in pages at the last checkpoint, for the writer to start it over in time.
    let logPages = Atomic<Int32>(0)
    static let interval = 0.1

    init(path: String) throws(StoreError) {
        database = try SQLiteDatabase(path: path)
        // A connection learns the file is in WAL mode only once it reads it; until then its
        // checkpoints do nothing.
        try database.execute("PRAGMA journal_mode = WAL")
    }

    func start() {
        let thread = Thread { [self] in run() }
        thread.name = "wlive-checkpoint"
        thread.start()
    }

    /// Stops after a last checkpoint; blocks until the thread has.
    func stop() {
        condition.lock()
        stopping = true
        condition.signal()
        condition.unlock()
        finished.wait()
    }

    private func run() {
        condition.lock()
        while !stopping {
            _ = condition.wait(until: Date().addingTimeInterval(Self.interval))
            condition.unlock()
            // A failure (the disk is full, say) leaves the log to grow; the next attempt retries.
            if let pages = database.checkpoint() { logPages.store(pages, ordering: .relaxed) }
            condition.lock()
        }
        condition.unlock()
        finished.signal()
    }
}
