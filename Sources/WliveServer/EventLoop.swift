import CLibUV
import Foundation
import Synchronization
import WliveAPI
import WliveCodec
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
    // @unchecked: `inbox`, `counters` and `wakePending` are thread-safe; every other property is
    // touched only on the loop's thread (or before the thread starts).
    let index: Int
    let uv: UnsafeMutablePointer<uv_loop_t>
    let context: GatewayContext
    private let wakeup: UnsafeMutablePointer<uv_async_t>
    private let ticker: UnsafeMutablePointer<uv_timer_t>
    /// Fires a deferred ring drain (adaptive flush).
    private let flushTimer: UnsafeMutablePointer<uv_timer_t>
    /// Runs once per loop iteration after I/O, on the ingest loop: wakes the workers.
    private let iterationEnd: UnsafeMutablePointer<uv_check_t>
    private let inbox = Mutex<[LoopMessage]>([])
    private let wakePending = Atomic<Bool>(false)
    private let stopped = DispatchSemaphore(value: 0)
    let counters = LoopCounters()

    /// Shared by every read on this loop: data is parsed before the next read reuses it, and only
    /// unparsed leftovers are copied into the connection, so idle connections hold no buffer.
    let readBuffer = UnsafeMutableRawBufferPointer.allocate(byteCount: 64 * 1024, alignment: 16)

    // Loop-thread state.
    var wheel = TimerWheel<Connection>()
    var subscribers = SubscriberTable<Connection>()
    var connections: [ObjectIdentifier: Connection] = [:]
    var listener: Listener?
    var isShuttingDown = false
    /// Connections refused with 503 that still linger on this loop.
    var lingeringRefusals = 0
    static let maxLingeringRefusals = 256
    private var shutdownDeadline: UInt64 = .max
    /// The HTTP API and the fan-out producer, on the ingest loop only.
    var api: LiveAPI?
    var fanOut: FanOutEngine?
    private var lastSecond: UInt64 = 0
    /// Channels this worker has subscribers for, with its read position in each ring.
    private var served: [ChannelID: ServedChannel] = [:]
    private let maxDelayMilliseconds: UInt64

    /// The wheel's resolution: 10 ticks a second.
    static let tickMilliseconds: UInt64 = 100

    init(index: Int, context: GatewayContext) throws(LibUVError) {
        self.index = index
        self.context = context
        maxDelayMilliseconds = UInt64((context.configuration.maxDelay * 1000).rounded())
        uv = .allocate(capacity: 1)
        wakeup = .allocate(capacity: 1)
        ticker = .allocate(capacity: 1)
        flushTimer = .allocate(capacity: 1)
        iterationEnd = .allocate(capacity: 1)
        try check(uv_loop_init(uv), "uv_loop_init")
        uv.pointee.data = Unmanaged.passUnretained(self).toOpaque()
        uv_async_init(uv, wakeup) { handle in EventLoop.from(handle!.pointee.loop).woken() }
        uv_timer_init(uv, ticker)
        uv_timer_start(ticker, { handle in EventLoop.from(handle!.pointee.loop).tick() }, Self.tickMilliseconds, Self.tickMilliseconds)
        uv_timer_init(uv, flushTimer)
        uv_check_init(uv, iterationEnd)
        wheel = TimerWheel(now: currentTick)
    }

    deinit {
        readBuffer.deallocate()
        uv.deallocate()
        wakeup.deallocate()
        ticker.deallocate()
        flushTimer.deallocate()
        iterationEnd.deallocate()
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
        uv_check_start(iterationEnd) { handle in EventLoop.from(handle!.pointee.loop).fanOut?.flushWakeups() }
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
        inbox.withLock { $0.append(message) }
        uv_async_send(wakeup)
    }

    /// Blocks until the loop's thread has finished.
    func waitUntilStopped() { stopped.wait() }

    /// A ring this worker serves has new entries. Any thread; one `uv_async_send` per drain at most.
    func wakeForRings() {
        if !wakePending.exchange(true, ordering: .sequentiallyConsistent) { uv_async_send(wakeup) }
    }

    private func woken() {
        let messages = inbox.withLock { inbox in
            var taken: [LoopMessage] = []
            swap(&taken, &inbox)
            return taken
        }
        for message in messages {
            switch message {
            case .shutdown: beginShutdown()
            case let .run(body): body(self)
            }
        }
        if wakePending.load(ordering: .sequentiallyConsistent) { ringsChanged() }
    }

    private func tick() {
        let now = currentTick
        for (deadline, connection) in wheel.advance(to: now) {
            connection.timerFired(deadline: deadline, now: now)
        }
        let second = now * Self.tickMilliseconds / 1000
        if second != lastSecond {
            lastSecond = second
            // Online-count notices are coalesced to one per channel per second.
            api?.flushNotices()
        }
        if isShuttingDown { finishShutdownIfDone(now: now) }
    }

    // MARK: - Consuming the rings

    /// The adaptive flush, per channel: a channel whose subscribers were last written at least
    /// `fanout.max_delay` ago is quiet, and its news goes out at once; a busy one gathers until
    /// then, so that one write per subscriber carries many comments. The timer wakes the loop for
    /// the earliest channel still gathering.
    private func ringsChanged(flushingEverything: Bool = false) {
        // Cleared before reading, so a publish that lands after the reads wakes us again.
        wakePending.store(false, ordering: .sequentiallyConsistent)
        let now = uv_now(uv)
        var nextDue = UInt64.max
        var batches: [(ChannelRecord, ChannelRing<ChannelMessage>.Batch)] = []
        let tracker = context.channels.tracker
        tracker.enter(index)
        // By index, updating in place: mutating `served` while iterating it would copy it.
        var position = served.values.startIndex
        while position != served.values.endIndex {
            defer { served.values.formIndex(after: &position) }
            let channel = served.values[position]
            guard channel.record.ring.publishedCount != channel.cursor else { continue }
            guard now >= channel.flushDue || flushingEverything else {
                nextDue = min(nextDue, channel.flushDue)
                continue
            }
            let batch = channel.record.ring.read(from: channel.cursor)
            guard batch.next != channel.cursor else { continue }
            served.values[position].cursor = batch.next
            served.values[position].flushDue = now &+ maxDelayMilliseconds
            batches.append((channel.record, batch))
        }
        tracker.leave(index)
        if !batches.isEmpty { counters.drains.add(1, ordering: .relaxed) }
        for (record, batch) in batches { deliver(batch, of: record) }
        if nextDue != .max {
            uv_timer_start(flushTimer, { handle in EventLoop.from(handle!.pointee.loop).ringsChanged() }, nextDue - now, 0)
        }
    }

    private func deliver(_ batch: ChannelRing<ChannelMessage>.Batch, of record: ChannelRecord) {
        let audience = subscribers.subscribers(of: record.id)
        var frames = batch.elements.map(\.frame)
        if batch.missed > 0 {
            // This worker fell more than a ring behind: say how much its subscribers lost.
            let gap = ServerMessage.gap(channelID: record.id, missed: batch.missed, time: wallClockMilliseconds())
            frames.insert(SharedFrame(gap), at: 0)
            counters.gaps.add(1, ordering: .relaxed)
            record.countGap()
        }
        var written = 0
        // Built once for the channel's whole audience.
        let shared = FrameBatch(frames)
        for connection in audience where connection.deliver(shared) { written += batch.elements.count }
        counters.delivered.add(written, ordering: .relaxed)
        record.countDelivered(written)
        if batch.elements.contains(where: { $0.kind == .closing }) {
            for connection in audience { connection.close(.normalClosure, reason: "channel closed") }
        }
    }

    /// Adds a subscriber, and starts reading the channel's ring if it is the first here.
    func subscribe(_ connection: Connection, to record: ChannelRecord) {
        if served[record.id] == nil {
            record.setInterest(of: index, true)
            served[record.id] = ServedChannel(record: record, cursor: record.ring.publishedCount, flushDue: 0)
        }
        subscribers.add(connection, to: record.id)
        counters.subscribers.add(1, ordering: .relaxed)
    }

    /// Removes a subscriber, and stops reading the ring when it was the last here.
    func unsubscribe(_ connection: Connection, from record: ChannelRecord) {
        subscribers.remove(connection, from: record.id)
        counters.subscribers.subtract(1, ordering: .relaxed)
        if subscribers.subscribers(of: record.id).isEmpty, served.removeValue(forKey: record.id) != nil {
            record.setInterest(of: index, false)
        }
    }

    // MARK: - Shutdown

    /// Stop accepting, send 1001 to every client, and let them answer until `shutdown.timeout`.
    private func beginShutdown() {
        guard !isShuttingDown else { return }
        isShuttingDown = true
        shutdownDeadline = currentTick + Self.ticks(context.configuration.shutdownTimeout)
        listener?.close()
        listener = nil
        // The ingest loop stopped first, so the rings hold everything ever acknowledged: deliver
        // it all now, whatever the flush delay, and the close frames queue behind it.
        if api == nil { ringsChanged(flushingEverything: true) }
        for connection in Array(connections.values) { connection.closeForShutdown() }
        finishShutdownIfDone(now: currentTick)
    }

    private func finishShutdownIfDone(now: UInt64) {
        if now >= shutdownDeadline {
            for connection in Array(connections.values) { connection.abort() }
        }
        guard connections.isEmpty else { return }
        // Nothing left but the loop's own handles: closing them lets uv_run return.
        if uv_is_closing(cast(ticker, to: uv_handle_t.self)) == 0 {
            for handle in [cast(ticker, to: uv_handle_t.self), cast(wakeup, to: uv_handle_t.self),
                           cast(flushTimer, to: uv_handle_t.self), cast(iterationEnd, to: uv_handle_t.self)] {
                uv_close(handle, nil)
            }
        }
    }

    /// Called by a connection once its handle is closed.
    func connectionClosed(_ connection: Connection) {
        connections.removeValue(forKey: ObjectIdentifier(connection))
        counters.connections.subtract(1, ordering: .relaxed)
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
    /// Ring drains: rounds of writes to the subscribers of the channels that had news.
    let drains = Atomic<Int>(0)
    /// Gap notices sent: ring overruns and skipped slow readers.
    let gaps = Atomic<Int>(0)
    /// Times a slow reader was disconnected or skipped.
    let slowConsumerActions = Atomic<Int>(0)
    /// Connections answered 503 because `ws.max_connections` were open.
    let refusedConnections = Atomic<Int>(0)
    /// Times accepting paused because the process was out of file descriptors.
    let acceptPauses = Atomic<Int>(0)
}

/// A channel a worker serves: where it reads the ring, and when its news may next go out (loop
/// milliseconds: `fanout.max_delay` after its last write, 0 at first), for the adaptive flush.
struct ServedChannel {
    let record: ChannelRecord
    var cursor: UInt64
    var flushDue: UInt64
}
