import CLibUV
import Foundation
import Synchronization
import WliveAPI
import WliveAdmin
import WliveCodec
import WliveDeflate
import WliveEngine
import WliveProtocol

/// Work other threads hand to a loop. Everything else a loop touches is its own.
enum LoopMessage: Sendable {
    /// Begin the graceful shutdown.
    case shutdown
    /// Run a closure on the loop (for loop-confined state such as the API and the fan-out engine).
    case run(@Sendable (EventLoop) -> Void)
}

/// One libuv event loop on its own thread, owning every handle it creates.
///
/// Other threads talk to it only through its inbox (a locked array and a `uv_async_t`: libuv
/// coalesces sends, and the loop drains everything at once) and, for fan-out, through the
/// channel rings plus a "wake pending" flag, so that a burst of comments costs one wake-up.
final class EventLoop: @unchecked Sendable {
    // @unchecked: the inbox (under `inboxLock`), `counters` and `wakePending` are thread-safe; every other property is
    // touched only on the loop's thread (or before the thread starts).
    let index: Int
    let uv: UnsafeMutablePointer<uv_loop_t>
    let context: GatewayContext
    private let wakeup: UnsafeMutablePointer<uv_async_t>
    private let ticker: UnsafeMutablePointer<uv_timer_t>
    /// Fires a deferred ring drain (adaptive flush).
    private let flushTimer: UnsafeMutablePointer<uv_timer_t>
    /// Runs once per loop iteration after I/O: on the ingest loop it commits and wakes the
    /// workers; everywhere it renews the replay budget.
    private let iterationEnd: UnsafeMutablePointer<uv_check_t>
    /// Keeps the loop turning while resumes wait for the next turn's replay budget.
    let resumeTurn: UnsafeMutablePointer<uv_idle_t>
    /// Messages for the loop, and whether its wake-up handle is closed: once it is, messages
    /// are dropped, so that a thread that outlives the loop cannot signal a closed handle.
    /// Under `inboxLock`, a pthread mutex for the reason `changedLock` gives.
    private let inboxLock = NSLock()
    private var inboxMessages: [LoopMessage] = []
    private var inboxIsClosed = false
    /// Channels the producer published to since this loop last looked (any thread appends),
    /// under `changedLock`. A pthread mutex (`NSLock`) rather than `Mutex`: appends after the
    /// first send no wake-up, so the lock is the only order between the two threads, and
    /// ThreadSanitizer sees a pthread mutex (it does not see `Mutex`'s futex).
    private let changedLock = NSLock()
    private var changedChannels: [ChannelID] = []
    private let stopped = DispatchSemaphore(value: 0)
    let counters: LoopCounters

    /// Shared by every read on this loop: data is parsed before the next read reuses it, and only
    /// unparsed leftovers are copied into the connection, so idle connections hold no buffer.
    let readBuffer = UnsafeMutableRawBufferPointer.allocate(byteCount: 64 * 1024, alignment: 16)

    // Loop-thread state.
    var wheel = TimerWheel<Connection>()
    /// This worker's side of fan-out: subscriptions, ring cursors, what each subscriber awaits.
    let fanOutConsumer: FanOutConsumer<WebSocketConnection>
    var connections: [ObjectIdentifier: Connection] = [:]
    /// Connections made on this loop so far: the second half of each one's id.
    var connectionSerial = 0
    /// What this loop counted since it last added to `counters` (see `flushMetrics`).
    var latencyRecorder = LatencyRecorder()
    var unflushedBytes = 0
    /// The clock fan-out writes are timed with, and writes since it was read.
    var writeClock: UInt64 = 0
    var writesSinceClock = 0
    var listener: Listener?
    /// Compressors for permessage-deflate on this loop's thread, by window bits, made when first
    /// needed (`WebSocketConnection+Deflate`).
    var compressors: [Int: DeflateCompressor] = [:]
    /// The viewer loop that took the last event stream handed over from this (the API) loop.
    var handOverTurn = 0
    var isShuttingDown = false
    /// Connections refused with 503 that still linger on this loop.
    var lingeringRefusals = 0
    static let maxLingeringRefusals = 256
    private var shutdownDeadline: UInt64 = .max
    /// The HTTP API and the fan-out producer, on the ingest loop only.
    var api: LiveAPI?
    var fanOut: FanOutEngine?
    /// The API's way to a store on its own thread (`store.kind: sqlite`), on the ingest loop.
    var storeJournal: ThreadedJournal?
    /// This node's part in a cluster (`cluster.redis_url`), on the ingest loop.
    var cluster: ClusterLink?
    /// History pages for resuming viewers, on the ingest loop.
    var history: HistoryReader?
    /// While a commit's answers are given: the API connections with answers gathered, so each
    /// sends all of its answers in one write instead of one write per answer.
    var gatheredConnections: [HTTPConnection]?
    /// The ingest loop, where a worker asks for history (nil on the ingest loop itself).
    weak var ingestLoop: EventLoop?
    /// Resuming viewers: waiting for a page of history, by request, and waiting for the next
    /// turn's replay budget.
    var catchUps: [Int: CatchUp] = [:]
    var catchUpSerial = 0
    var deferredResumes: [CatchUp] = []
    /// Messages this turn may still replay to resuming viewers, so that a reconnect storm
    /// cannot stall live delivery: the rest waits for the next turn.
    var replayBudget = EventLoop.replayBudgetPerTurn
    /// The admin port's listener and routes, on the ingest loop when `admin.enabled`.
    var adminListener: Listener?
    var admin: AdminService?
    private var lastSecond: UInt64 = 0

    /// The wheel's resolution: 10 ticks a second.
    static let tickMilliseconds: UInt64 = 100

    init(index: Int, context: GatewayContext) throws(LibUVError) {
        self.index = index
        self.context = context
        let configuration = context.configuration
        counters = LoopCounters(measuresLatency: configuration.admin.enabled)
        fanOutConsumer = FanOutConsumer(
            index: index,
            policy: .init(
                maxPendingBytes: configuration.maxPendingBytes, skipsSlowReaders: configuration.slowConsumerPolicy == .skip,
                maxDelay: UInt64((configuration.maxDelay * 1000).rounded())),
            tracker: context.channels.tracker, wallClock: wallClockMilliseconds)
        uv = .allocate(capacity: 1)
        wakeup = .allocate(capacity: 1)
        ticker = .allocate(capacity: 1)
        flushTimer = .allocate(capacity: 1)
        iterationEnd = .allocate(capacity: 1)
        resumeTurn = .allocate(capacity: 1)
        try check(uv_loop_init(uv), "uv_loop_init")
        uv.pointee.data = Unmanaged.passUnretained(self).toOpaque()
        uv_async_init(uv, wakeup) { handle in EventLoop.from(handle!.pointee.loop).woken() }
        uv_timer_init(uv, ticker)
        uv_timer_start(
            ticker, { handle in EventLoop.from(handle!.pointee.loop).tick() }, Self.tickMilliseconds, Self.tickMilliseconds)
        uv_timer_init(uv, flushTimer)
        uv_check_init(uv, iterationEnd)
        uv_check_start(iterationEnd) { handle in EventLoop.from(handle!.pointee.loop).iterationEnded() }
        uv_idle_init(uv, resumeTurn)
        wheel = TimerWheel(now: currentTick)
    }

    deinit {
        readBuffer.deallocate()
        uv.deallocate()
        wakeup.deallocate()
        ticker.deallocate()
        flushTimer.deallocate()
        iterationEnd.deallocate()
        resumeTurn.deallocate()
    }

    static func from(_ loop: UnsafeMutablePointer<uv_loop_t>!) -> EventLoop {
        Unmanaged<EventLoop>.fromOpaque(loop.pointee.data).takeUnretainedValue()
    }

    /// The loop's clock in wheel ticks (libuv caches it once per loop iteration).
    var currentTick: UInt64 { uv_now(uv) / Self.tickMilliseconds }

    /// Ticks in `seconds`, at least one.
    static func ticks(_ seconds: Double) -> UInt64 { max(1, UInt64((seconds * 1000).rounded()) / tickMilliseconds) }

    /// Makes this the ingest loop: it runs the API and produces into the rings.
    func becomeIngestLoop(api: LiveAPI, fanOut: FanOutEngine) {
        self.api = api
        self.fanOut = fanOut
    }

    /// Runs `body` (which answers many API calls at once), then sends each connection's
    /// answers in one write.
    func gatheringAnswers(_ body: () -> Void) {
        gatheredConnections = []
        body()
        let connections = gatheredConnections!
        gatheredConnections = nil
        for connection in connections {
            connection.sendGatheredAnswers()
            // An event stream waiting for these answers to leave may go now.
            connection.serveWaitingRequestsAfterGathering()
        }
    }

    /// The end of one loop iteration, after its I/O.
    private func iterationEnded() {
        // This iteration's changes go to the store as one transaction (group commit).
        storeJournal?.flush()
        fanOut?.flushWakeups()
        replayBudget = Self.replayBudgetPerTurn
    }

    /// Runs the loop on a new thread until it has shut down.
    func start() {
        let thread = Thread { [self] in
            uv_run(uv, UV_RUN_DEFAULT)
            // Every handle is closed by now; let libuv free its internals.
            uv_loop_close(uv)
            stopped.signal()
        }
        thread.name = "wlive-loop-\(index)"
        thread.start()
    }

    /// Hands a message to the loop from any thread.
    func send(_ message: LoopMessage) {
        inboxLock.lock()
        defer { inboxLock.unlock() }
        guard !inboxIsClosed else { return }
        inboxMessages.append(message)
        // Under the lock: the loop closes the handle only after marking the inbox closed.
        uv_async_send(wakeup)
    }

    /// Blocks until the loop's thread has finished.
    func waitUntilStopped() { stopped.wait() }

    /// The producer published to these channels. Any thread; one `uv_async_send` per drain at most.
    func channelsChanged(_ ids: [ChannelID]) {
        changedLock.lock()
        let wasEmpty = changedChannels.isEmpty
        changedChannels += ids
        changedLock.unlock()
        if wasEmpty { uv_async_send(wakeup) }
    }

    private func woken() {
        var messages: [LoopMessage] = []
        inboxLock.lock()
        swap(&messages, &inboxMessages)
        inboxLock.unlock()
        for message in messages {
            switch message {
            case .shutdown: beginShutdown()
            case .run(let body): body(self)
            }
        }
        changedLock.lock()
        var changed: [ChannelID] = []
        swap(&changed, &changedChannels)
        changedLock.unlock()
        if !changed.isEmpty { deliver(changed) }
    }

    private func tick() {
        let now = currentTick
        for (deadline, connection) in wheel.advance(to: now) {
            connection.timerFired(deadline: deadline, now: now)
        }
        cluster?.tick()
        let second = now * Self.tickMilliseconds / 1000
        if second != lastSecond {
            lastSecond = second
            // Online-count notices are coalesced to one per channel per second.
            api?.flushNotices()
            admin?.sample()
        }
        flushMetrics()
        if isShuttingDown { finishShutdownIfDone(now: now) }
    }

    // MARK: - Consuming the rings

    /// Delivers the news of `channels` (with `everything`, whatever `fanout.max_delay` says: the
    /// last pass before shutdown) and arms the flush timer when `fanout.max_delay` deferred some.
    private func deliver(_ channels: [ChannelID], everything: Bool = false) {
        let now = uv_now(uv)
        if let due = fanOutConsumer.deliver(channels, now: now, everything: everything, through: self) {
            armFlushTimer(due: due, now: now)
        }
        let tally = fanOutConsumer.tally
        fanOutConsumer.tally = .init()
        flushMetrics()
        counters.delivered.add(tally.delivered, ordering: .relaxed)
        counters.gaps.add(tally.overrunGaps + tally.slowGaps, ordering: .relaxed)
        if tally.overrunGaps > 0 { counters.overrunGaps.add(tally.overrunGaps, ordering: .relaxed) }
        if tally.slowGaps > 0 { counters.slowGaps.add(tally.slowGaps, ordering: .relaxed) }
        counters.slowConsumerActions.add(tally.slowReaderActions, ordering: .relaxed)
        if tally.writes > 0 { counters.drains.add(1, ordering: .relaxed) }
    }

    /// With `fanout.max_delay`, wakes the loop when the earliest deferred channel is due.
    private func armFlushTimer(due: UInt64, now: UInt64) {
        uv_timer_start(
            flushTimer,
            { handle in
                let loop = EventLoop.from(handle!.pointee.loop)
                loop.deliver(loop.fanOutConsumer.servedChannelIDs)
            }, due &- now, 0)
    }

    /// Adds a subscriber, and starts reading the channel's ring if it is the first here.
    func subscribe(_ connection: WebSocketConnection, to record: ChannelRecord) {
        fanOutConsumer.subscribe(connection, to: record)
        counters.subscribers.add(1, ordering: .relaxed)
    }

    /// Subscribes a viewer resuming after comment `since`, when the ring still covers it.
    func subscribe(_ connection: WebSocketConnection, to record: ChannelRecord, resumingAfter since: UInt64)
        -> FanOutConsumer<WebSocketConnection>.Replay
    {
        let replay = fanOutConsumer.subscribe(connection, to: record, resumingAfter: since)
        if case .fromRing = replay { counters.subscribers.add(1, ordering: .relaxed) }
        return replay
    }

    /// Tells the API, on the ingest loop, that a room's anchor socket opened or closed.
    func anchorPresence(_ id: ChannelID, connected: Bool) {
        if let api {
            api.anchorSocket(id, connected: connected)
        } else {
            ingestLoop?.send(.run { $0.api?.anchorSocket(id, connected: connected) })
        }
    }

    /// Removes a subscriber, and stops reading the ring when it was the last here.
    func unsubscribe(_ connection: WebSocketConnection, from record: ChannelRecord) {
        fanOutConsumer.unsubscribe(connection, from: record)
        counters.subscribers.subtract(1, ordering: .relaxed)
    }

    // MARK: - Shutdown

    /// Stop accepting, send 1001 to every client, and let them answer until `shutdown.timeout`.
    private func beginShutdown() {
        guard !isShuttingDown else { return }
        isShuttingDown = true
        shutdownDeadline = currentTick + Self.ticks(context.configuration.shutdownTimeout)
        listener?.close()
        listener = nil
        adminListener?.close()
        adminListener = nil
        // The ingest loop stopped first, so the rings hold everything ever acknowledged: deliver
        // it all now, whatever the flush delay, and the close frames queue behind it.
        if api == nil { deliver(fanOutConsumer.servedChannelIDs, everything: true) }
        for connection in Array(connections.values) { connection.closeForShutdown() }
        finishShutdownIfDone(now: currentTick)
    }

    private func finishShutdownIfDone(now: UInt64) {
        if now >= shutdownDeadline {
            for connection in Array(connections.values) { connection.abort() }
        }
        // The store thread answers through this loop's inbox: nothing may wait for it.
        guard connections.isEmpty, storeJournal?.isIdle ?? true, cluster?.isIdle ?? true else { return }
        cluster?.close()
        cluster = nil
        // Nothing left but the loop's own handles: closing them lets uv_run return.
        if uv_is_closing(cast(ticker, to: uv_handle_t.self)) == 0 {
            inboxLock.lock()
            inboxIsClosed = true
            inboxLock.unlock()
            for handle in [
                cast(ticker, to: uv_handle_t.self), cast(wakeup, to: uv_handle_t.self),
                cast(flushTimer, to: uv_handle_t.self), cast(iterationEnd, to: uv_handle_t.self),
                cast(resumeTurn, to: uv_handle_t.self),
            ] {
                uv_close(handle, nil)
            }
        }
    }

    /// Called by a connection once its handle is closed.
    func connectionClosed(_ connection: Connection) {
        // One that failed to be accepted was never registered, nor counted.
        if connections.removeValue(forKey: ObjectIdentifier(connection)) != nil {
            counters.connections.subtract(1, ordering: .relaxed)
        }
        if isShuttingDown { finishShutdownIfDone(now: currentTick) }
    }
}

/// Per-loop numbers other threads may read at any time; relaxed, since they are only reported.
final class LoopCounters: Sendable {
    let connections = Atomic<Int>(0)
    let accepted = Atomic<Int>(0)
    let subscribers = Atomic<Int>(0)
    /// Messages written to subscribers (one per message per subscriber).
    let delivered = Atomic<Int>(0)
    /// Sends that carried more than one frame in one write.
    let coalescedWrites = Atomic<Int>(0)
    /// Write system calls to sockets: each `uv_try_write` and each `uv_write` queued.
    let writeCalls = Atomic<Int>(0)
    /// Fan-out passes that wrote something.
    let drains = Atomic<Int>(0)
    /// Gap notices sent: ring overruns and skipped slow readers.
    let gaps = Atomic<Int>(0)
    let overrunGaps = Atomic<Int>(0)
    let slowGaps = Atomic<Int>(0)
    /// Bytes fan-out writes handed to the kernel or queued.
    let bytesWritten = Atomic<Int>(0)
    /// Messages compressed for permessage-deflate: about one per broadcast message, however
    /// many subscribers negotiated it.
    let deflatedMessages = Atomic<Int>(0)
    /// Publish-to-write latency of fan-out writes; nil with the admin port off.
    let latency: LatencyHistogram?
    /// Whether the loop's listener is accepting (false while paused for want of descriptors).
    let isListening = Atomic<Bool>(false)
    /// Wlive handshakes answered, by result code, and close frames sent, by close code: once per
    /// connection, so a lock is cheap here.
    let handshakes = Mutex<[Int: Int]>([:])
    let closes = Mutex<[Int: Int]>([:])

    init(measuresLatency: Bool) {
        latency = measuresLatency ? LatencyHistogram() : nil
    }

    func countHandshake(_ code: WliveResultCode) { handshakes.withLock { $0[code.rawValue, default: 0] += 1 } }
    func countClose(_ code: Int) { closes.withLock { $0[code, default: 0] += 1 } }
    /// Times a slow reader was disconnected or skipped.
    let slowConsumerActions = Atomic<Int>(0)
    /// Connections answered 503 because `ws.max_connections` were open.
    let refusedConnections = Atomic<Int>(0)
    /// Times accepting paused because the process was out of file descriptors.
    let acceptPauses = Atomic<Int>(0)
}
