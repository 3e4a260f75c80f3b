import CLibUV
import Foundation
import Logging
import Synchronization
import WliveCodec
import WliveEngine
import WliveProtocol

/// Work other threads hand to a loop. Everything else a loop touches is its own.
enum LoopMessage: Sendable {
    /// Write an encoded frame to every subscriber of the channel on this loop.
    case deliver(ChannelID, SharedFrame)
    /// The channel ended: write the message to its subscribers, then close them normally.
    case closeChannel(ChannelID, SharedFrame)
    /// Begin the graceful shutdown.
    case shutdown
}

/// One libuv event loop on its own thread, owning every handle it creates.
///
/// Other threads talk to it only through `send(_:)`: the message goes into a locked inbox and a
/// `uv_async_t` wakes the loop, which drains the whole inbox at once (libuv coalesces sends).
final class EventLoop: @unchecked Sendable {
    // @unchecked: `inbox` and `counters` are thread-safe; every other property is touched only on
    // the loop's thread (or before the thread starts).
    let index: Int
    let uv: UnsafeMutablePointer<uv_loop_t>
    let context: GatewayContext
    let logger: Logger
    private let wakeup: UnsafeMutablePointer<uv_async_t>
    private let ticker: UnsafeMutablePointer<uv_timer_t>
    private let inbox = Mutex<[LoopMessage]>([])
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
    private var shutdownDeadline: UInt64 = .max

    /// The wheel's resolution: 10 ticks a second.
    static let tickMilliseconds: UInt64 = 100

    init(index: Int, context: GatewayContext, logger: Logger) throws(LibUVError) {
        self.index = index
        self.context = context
        var logger = logger
        logger[metadataKey: "loop"] = "\(index)"
        self.logger = logger
        uv = .allocate(capacity: 1)
        wakeup = .allocate(capacity: 1)
        ticker = .allocate(capacity: 1)
        try check(uv_loop_init(uv), "uv_loop_init")
        uv.pointee.data = Unmanaged.passUnretained(self).toOpaque()
        uv_async_init(uv, wakeup) { handle in EventLoop.from(handle!.pointee.loop).drainInbox() }
        uv_timer_init(uv, ticker)
        uv_timer_start(ticker, { handle in EventLoop.from(handle!.pointee.loop).tick() }, Self.tickMilliseconds, Self.tickMilliseconds)
        wheel = TimerWheel(now: currentTick)
    }

    deinit {
        readBuffer.deallocate()
        uv.deallocate()
        wakeup.deallocate()
        ticker.deallocate()
    }

    static func from(_ loop: UnsafeMutablePointer<uv_loop_t>!) -> EventLoop {
        Unmanaged<EventLoop>.fromOpaque(loop.pointee.data).takeUnretainedValue()
    }

    /// The loop's clock in wheel ticks (libuv caches it once per loop iteration).
    var currentTick: UInt64 { uv_now(uv) / Self.tickMilliseconds }

    /// Ticks in `seconds`, at least one.
    static func ticks(_ seconds: Double) -> UInt64 { max(1, UInt64((seconds * 1000).rounded()) / tickMilliseconds) }

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

    /// Hands several messages over with one wake-up.
    func send(contentsOf messages: [LoopMessage]) {
        inbox.withLock { $0.append(contentsOf: messages) }
        uv_async_send(wakeup)
    }

    /// Blocks until the loop's thread has finished.
    func waitUntilStopped() { stopped.wait() }

    private func drainInbox() {
        let messages = inbox.withLock { inbox in
            var taken: [LoopMessage] = []
            swap(&taken, &inbox)
            return taken
        }
        for message in messages {
            switch message {
            case let .deliver(channel, frame):
                for connection in subscribers.subscribers(of: channel) { connection.write(frame) }
                counters.delivered.add(subscribers.subscribers(of: channel).count, ordering: .relaxed)
            case let .closeChannel(channel, frame):
                for connection in subscribers.subscribers(of: channel) {
                    connection.write(frame)
                    connection.close(.normalClosure, reason: "channel closed")
                }
            case .shutdown:
                beginShutdown()
            }
        }
    }

    private func tick() {
        let now = currentTick
        for (deadline, connection) in wheel.advance(to: now) {
            connection.timerFired(deadline: deadline, now: now)
        }
        if isShuttingDown { finishShutdownIfDone(now: now) }
    }

    // MARK: - Shutdown

    /// Stop accepting, send 1001 to every client, and let them answer until `shutdown.timeout`.
    private func beginShutdown() {
        guard !isShuttingDown else { return }
        isShuttingDown = true
        shutdownDeadline = currentTick + Self.ticks(context.configuration.shutdownTimeout)
        listener?.close()
        listener = nil
        for connection in Array(connections.values) {
            connection.close(.goingAway, reason: "server shutting down")
        }
        finishShutdownIfDone(now: currentTick)
    }

    private func finishShutdownIfDone(now: UInt64) {
        if now >= shutdownDeadline {
            for connection in Array(connections.values) { connection.abort() }
        }
        guard connections.isEmpty else { return }
        // Nothing left but the loop's own handles: closing them lets uv_run return.
        if uv_is_closing(cast(ticker, to: uv_handle_t.self)) == 0 {
            uv_close(cast(ticker, to: uv_handle_t.self), nil)
            uv_close(cast(wakeup, to: uv_handle_t.self), nil)
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
    let delivered = Atomic<Int>(0)
    let slowConsumersDropped = Atomic<Int>(0)
}
