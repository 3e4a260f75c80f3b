import Foundation
import WliveProtocol
import WliveStore

/// The durable store's own thread: its I/O never runs on an event loop. Writes and reads queue
/// here and run in order; each result goes back to the ingest loop through its inbox, to the
/// loop's `ThreadedJournal`. Every 10 s, between jobs, it runs the store's upkeep (retention by
/// age).
final class StoreThread: @unchecked Sendable {
    // @unchecked: `store` is touched on the store thread only, once it started; the queue is
    // under `condition`.
    enum Job: Sendable {
        case apply([StoreChange])
        case read(id: Int, ChannelID, after: UInt64, limit: Int)
        case stop
    }

    private let store: any DurableStore
    private let ingest: EventLoop
    private let condition = NSCondition()
    private var jobs: [Job] = []
    private let finished = DispatchSemaphore(value: 0)
    /// Seconds between upkeeps.
    static let upkeepInterval = 10.0

    init(store: any DurableStore, ingest: EventLoop) {
        self.store = store
        self.ingest = ingest
    }

    func start() {
        let thread = Thread { [self] in run() }
        thread.name = "wlive-store"
        thread.start()
    }

    func submit(_ job: Job) {
        condition.lock()
        jobs.append(job)
        condition.signal()
        condition.unlock()
    }

    /// Finishes what is queued, then stops; blocks until the thread has. The ingest loop must
    /// be stopped by then: results for it are dropped.
    func stop() {
        submit(.stop)
        finished.wait()
    }

    private func run() {
        var lastUpkeep = Date()
        while true {
            condition.lock()
            while jobs.isEmpty {
                if !condition.wait(until: lastUpkeep.addingTimeInterval(Self.upkeepInterval)) { break }
            }
            let taken = jobs
            jobs = []
            condition.unlock()
            if -lastUpkeep.timeIntervalSinceNow >= Self.upkeepInterval {
                lastUpkeep = Date()
                do { try store.maintain(now: wallClockMilliseconds()) } catch {
                    ingest.context.logger.error("store upkeep failed: \(error)")
                }
            }
            for job in taken {
                switch job {
                case .apply(let changes):
                    let failure: StoreError?
                    do {
                        try store.apply(changes)
                        failure = nil
                    } catch let error as StoreError {
                        failure = error
                    } catch {
                        failure = StoreError("\(error)")
                    }
                    ingest.send(.run { loop in loop.gatheringAnswers { loop.storeJournal?.committed(failure) } })
                    store.afterCommit()
                case .read(let id, let channel, let seq, let limit):
                    let result = store.read(channel, after: seq, limit: limit)
                    ingest.send(.run { loop in loop.storeJournal?.readFinished(id, result) })
                case .stop:
                    finished.signal()
                    return
                }
            }
        }
    }
}
