import WliveProtocol
import WliveStore

/// The ingest loop's journal to a store on its own thread, with group commit: the changes of
/// one loop iteration (every call it answered) go to the store as one transaction when the
/// iteration ends, and the answers that wait for them leave when it commits. One batch is in
/// flight at a time; what arrives meanwhile forms the next.
final class ThreadedJournal: StoreJournal {
    private let thread: StoreThread
    private(set) var recordedCount = 0
    private var pending: [StoreChange] = []
    /// Callbacks for once `pending` is durable.
    private var pendingCallbacks: [(Bool) -> Void] = []
    /// Callbacks for the batch in flight; nil when none is.
    private var inFlight: [(Bool) -> Void]?
    private var reads: [Int: (Result<CommentPage, StoreError>) -> Void] = [:]
    private var nextRead = 0
    /// Logs a write failure: `(error, failures since the last line)`.
    private let logFailure: (StoreError, Int) -> Void
    /// Failures not logged yet, and when the last line was (monotonic seconds): a full disk
    /// fails every batch, and one line every few seconds says so.
    private var unloggedFailures = 0
    private var lastFailureLine = -Double.infinity
    static let failureLogInterval = 5.0

    init(thread: StoreThread, logFailure: @escaping (StoreError, Int) -> Void) {
        self.thread = thread
        self.logFailure = logFailure
    }

    /// Nothing waits for the store: no batch in flight, none pending, no read out.
    var isIdle: Bool { inFlight == nil && pending.isEmpty && reads.isEmpty }

    func record(_ change: StoreChange) {
        recordedCount += 1
        pending.append(change)
    }

    func whenDurable(_ body: @escaping (Bool) -> Void) {
        if !pending.isEmpty {
            pendingCallbacks.append(body)
        } else if inFlight != nil {
            inFlight!.append(body)
        } else {
            body(true)
        }
    }

    func comments(
        of channel: ChannelID, after seq: UInt64, limit: Int, completion: @escaping (Result<CommentPage, StoreError>) -> Void
    ) {
        nextRead += 1
        reads[nextRead] = completion
        thread.submit(.read(id: nextRead, channel, after: seq, limit: limit))
    }

    /// Hands what this iteration recorded to the store; the ingest loop calls it as each
    /// iteration ends.
    func flush() {
        guard inFlight == nil, !pending.isEmpty else { return }
        inFlight = pendingCallbacks
        pendingCallbacks = []
        thread.submit(.apply(pending))
        pending = []
    }

    /// The batch in flight committed (`failure` nil) or did not. After a failure, what was
    /// recorded since fails too: its comments are numbered after the failed ones, and a
    /// comment is never acknowledged after a hole in its room's numbering.
    func committed(_ failure: StoreError?) {
        var callbacks = inFlight ?? []
        inFlight = nil
        if let failure {
            unloggedFailures += 1
            let now = monotonicSeconds()
            if now - lastFailureLine >= Self.failureLogInterval {
                logFailure(failure, unloggedFailures)
                unloggedFailures = 0
                lastFailureLine = now
            }
            callbacks += pendingCallbacks
            pendingCallbacks = []
            pending = []
        }
        for callback in callbacks { callback(failure == nil) }
    }

    func readFinished(_ id: Int, _ result: Result<CommentPage, StoreError>) {
        reads.removeValue(forKey: id)?(result)
    }
}
