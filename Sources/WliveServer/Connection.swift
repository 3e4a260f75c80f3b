import CLibUV
import WliveCodec
import WliveProtocol

/// One accepted TCP connection: the libuv stream, its reads with back-pressure, its writes
/// (`Connection+Writing`), its phases and their deadlines, and ending it without losing the
/// last bytes. What it speaks is its subclass's: `WebSocketConnection` on the WebSocket port
/// (one upgrade request, then frames) and `HTTPConnection` on the API and admin ports
/// (keep-alive requests, answered in order).
///
/// Owned by its loop: created, used and closed on the loop's thread only. The object owns the
/// `uv_tcp_t` and sits in its `data` retained; the close callback releases it.
class Connection {
    // Only the hooks under "What a subclass speaks", `releaseState` and `abort` are overridden;
    // everything else is `final`, so that even unoptimised builds reach it directly.
    typealias Phase = ConnectionStateMachine.Phase

    unowned let loop: EventLoop
    /// Its number among the connections its loop made; `id` names it in log lines.
    let serial: Int
    let handle: UnsafeMutablePointer<uv_tcp_t>
    /// The phases and their deadlines (pure; `timerFired` says what is due).
    final var lifecycle: ConnectionStateMachine
    final var phase: Phase { lifecycle.phase }
    /// Only while speaking HTTP; a WebSocket drops it after the upgrade.
    final var requestParser: HTTPRequestParser?
    /// Received bytes not yet parsed (a partial request or frame).
    final var unparsed: [UInt8] = []
    /// The deadline this connection has in the loop's wheel; `.max` when none.
    final var scheduledDeadline: UInt64 = .max
    /// Write requests libuv has not completed yet.
    final var writesInFlight = 0
    /// Unsent bytes above which this connection stops reading (and, on the WebSocket port, the
    /// slow-consumer policy applies to channel messages). A peer that sends without reading must
    /// not grow our memory: reading resumes once it has read half of it.
    let pendingBytesLimit: Int
    final var isReadingPaused = false

    init(loop: EventLoop, pendingBytesLimit: Int) {
        self.loop = loop
        self.pendingBytesLimit = pendingBytesLimit
        loop.connectionSerial += 1
        serial = loop.connectionSerial
        lifecycle = ConnectionStateMachine(now: loop.currentTick, requestTimeout: .max)
        handle = .allocate(capacity: 1)
        uv_tcp_init(loop.uv, handle)
        handle.pointee.data = Unmanaged.passRetained(self).toOpaque()
    }

    /// "loop-serial", unique in the process, for log lines.
    final var id: String { "\(loop.index)-\(serial)" }

    final var stream: UnsafeMutablePointer<uv_stream_t> { cast(handle, to: uv_stream_t.self) }

    static func from(_ pointer: UnsafeMutableRawPointer?) -> Connection {
        Unmanaged<Connection>.fromOpaque(pointer!).takeUnretainedValue()
    }

    /// Registers with the loop and starts reading the first request.
    final func start(requestLimits: HTTPRequestParser.Limits, requestTimeout: Double) {
        loop.connections[ObjectIdentifier(self)] = self
        loop.counters.connections.add(1, ordering: .relaxed)
        loop.counters.accepted.add(1, ordering: .relaxed)
        uv_tcp_nodelay(handle, 1)
        requestParser = HTTPRequestParser(limits: requestLimits)
        lifecycle = ConnectionStateMachine(now: loop.currentTick, requestTimeout: EventLoop.ticks(requestTimeout))
        scheduleTimer()
        startReading()
    }

    private final func startReading() {
        isReadingPaused = false
        let status = uv_read_start(
            stream,
            { handle, _, buffer in
                let loop = EventLoop.from(handle!.pointee.loop)
                buffer!.pointee = uv_buf_init(
                    loop.readBuffer.baseAddress!.assumingMemoryBound(to: CChar.self), UInt32(loop.readBuffer.count))
            },
            { stream, count, buffer in
                let connection = Connection.from(stream!.pointee.data)
                if count > 0 {
                    connection.lifecycle.received(now: connection.loop.currentTick)
                    if connection.phase != .lingering, connection.phase != .closed {
                        connection.receive(UnsafeRawBufferPointer(start: buffer!.pointee.base, count: count))
                    }
                    connection.pauseReadingIfBehind()
                } else if count < 0 {
                    // The peer closed its side or the socket failed: nobody is left to talk to.
                    connection.abort()
                }
            })
        if status != 0 { abort() }
    }

    // MARK: - What a subclass speaks

    /// Bytes from the peer, while the connection is neither lingering nor closed.
    func receive(_ bytes: UnsafeRawBufferPointer) {}

    /// Requests wait for the peer to read earlier answers: reading stays paused until they are served.
    var hasWaitingRequests: Bool { false }

    /// Between requests, with none half-read: a timeout then closes quietly instead of with 408.
    var isIdleBetweenRequests: Bool { false }

    /// A write completed (`writesInFlight` is already down by one): send what waited for it.
    func writeFinished() {}

    /// A deadline only this kind of connection has came (the handshake, heartbeats, silence).
    func timerFired(_ action: ConnectionStateMachine.Action) {}

    /// Ends the connection for a graceful shutdown.
    func closeForShutdown() { linger() }

    /// Between requests for the idle timeout: close quietly (answers still owed would be stuck
    /// behind a reader that stopped).
    func idleTimedOut() { linger() }

    /// Drops what only an open connection needs; a subclass drops its own state too.
    func releaseState() {
        requestParser = nil
        unparsed = []
    }

    // MARK: - Back-pressure

    /// Bytes queued for the peer that the kernel has not taken yet.
    final var unsentBytes: Int { uv_stream_get_write_queue_size(stream) }

    /// Stops reading from a peer that has too much unread, or whose requests wait for that.
    final func pauseReadingIfBehind() {
        guard !isReadingPaused, phase != .closed, phase != .lingering, unsentBytes > pendingBytesLimit || hasWaitingRequests
        else { return }
        uv_read_stop(stream)
        isReadingPaused = true
    }

    /// A write finished: send what waited for it, and read again once the peer caught up.
    final func writeCompleted() {
        guard phase != .closed else { return }
        writeFinished()
        resumeReadingIfCaughtUp()
    }

    /// Reads again once the peer caught up: nothing waits to be served and little is unread.
    final func resumeReadingIfCaughtUp() {
        if isReadingPaused, phase != .closed, !hasWaitingRequests, unsentBytes <= pendingBytesLimit / 2 {
            startReading()
        }
    }

    // MARK: - Timers

    /// Makes sure the wheel wakes us for the earliest deadline the lifecycle has.
    final func scheduleTimer() {
        let deadline = lifecycle.nextDeadline
        guard deadline != .max, deadline < scheduledDeadline else { return }
        scheduledDeadline = deadline
        loop.wheel.schedule(self, at: deadline)
    }

    /// The wheel reached a deadline scheduled for this connection: do what the lifecycle says.
    final func timerFired(deadline: UInt64, now: UInt64) {
        // Entries are never removed: only the one matching the current schedule counts.
        guard deadline == scheduledDeadline, phase != .closed else { return }
        scheduledDeadline = .max
        let action = lifecycle.timerFired(now: now, idle: isIdleBetweenRequests)
        switch action {
        case .none:
            break
        case .requestTimedOut:
            respondAndClose(.error(408, "the request took too long"))
        case .closeIdle:
            idleTimedOut()
        case .reset:
            // The peer neither answered nor drained in time (a reader that stopped reading):
            // reset, so the kernel drops what is still queued instead of keeping an orphan
            // socket with its buffers, and the peer learns at once that it was cut off.
            abort(reset: true)
        case .handshakeTimedOut, .heartbeat, .silent:
            timerFired(action)
        }
        scheduleTimer()
    }

    // MARK: - Closing

    /// Sends an HTTP error and closes once it is flushed.
    final func respondAndClose(_ response: HTTPResponse) {
        sendRaw(response.encoded())
        linger()
    }

    /// Seconds the close handshake and the final linger may take.
    static let closeHandshakeSeconds = 3.0

    /// Shuts our side down once queued writes are flushed, then reads until the peer hangs up.
    /// Closing at once could reset the socket and destroy the last frames before the peer reads them.
    final func linger() {
        guard lifecycle.lingering(now: loop.currentTick, within: EventLoop.ticks(Self.closeHandshakeSeconds)) else { return }
        releaseState()
        // Lingering reads (and drops) until the peer hangs up, whatever it left unread.
        if isReadingPaused { startReading() }
        scheduleTimer()
        let request = UnsafeMutablePointer<uv_shutdown_t>.allocate(capacity: 1)
        let status = uv_shutdown(request, stream) { request, _ in
            request!.deallocate()
        }
        if status != 0 {
            request.deallocate()
            abort()
        }
    }

    /// Closes the socket now; with `reset`, discarding unsent data with an RST (SO_LINGER 0).
    func abort(reset: Bool = false) {
        guard phase != .closed else { return }
        if reset {
            var descriptor: uv_os_fd_t = -1
            if uv_fileno(cast(handle, to: uv_handle_t.self), &descriptor) == 0 {
                var option = CLibUV.linger(l_onoff: 1, l_linger: 0)
                setsockopt(descriptor, SOL_SOCKET, SO_LINGER, &option, socklen_t(MemoryLayout<CLibUV.linger>.size))
            }
        }
        _ = lifecycle.closed()
        releaseState()
        uv_close(cast(handle, to: uv_handle_t.self)) { handle in
            let connection = Connection.from(handle!.pointee.data)
            connection.loop.connectionClosed(connection)
            Unmanaged<Connection>.fromOpaque(handle!.pointee.data).release()
            UnsafeMutableRawPointer(handle!).deallocate()
        }
    }
}
