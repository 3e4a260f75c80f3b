import CLibUV
import WliveCodec
import WliveEngine
import WliveProtocol

/// One accepted TCP connection on the WebSocket port, from the upgrade request to the close.
///
/// Owned by its loop: created, used and closed on the loop's thread only. The object owns the
/// `uv_tcp_t` and sits in its `data` retained; the close callback releases it.
final class Connection: Subscriber {
    /// Which port accepted it: the WebSocket port upgrades its one request, the API port
    /// answers requests until the client or a timeout ends the keep-alive.
    enum Kind { case webSocket, api, admin }

    typealias Phase = ConnectionStateMachine.Phase

    /// What the connection is for once upgraded.
    enum Role {
        case wlive(WliveSession)
        case echo
    }

    unowned let loop: EventLoop
    let kind: Kind
    /// "loop-serial", unique in the process, for log lines.
    let id: String
    let handle: UnsafeMutablePointer<uv_tcp_t>
    /// The phases and their deadlines (pure; `timerFired` says what is due).
    var lifecycle: ConnectionStateMachine
    var phase: Phase { lifecycle.phase }
    var role = Role.echo
    /// Only while speaking HTTP; dropped after the upgrade so an open WebSocket carries no parser.
    var requestParser: HTTPRequestParser?
    var decoder: WebSocketFrameDecoder
    var assembler: WebSocketMessageAssembler
    /// Received bytes not yet parsed (a partial request or frame).
    var unparsed: [UInt8] = []

    // Subscription.
    var subscriberSlot = -1
    var channel: ChannelRecord?

    /// The deadline this connection has in the loop's wheel; `.max` when none.
    var scheduledDeadline: UInt64 = .max

    /// Write requests libuv has not completed yet.
    var writesInFlight = 0
    /// Payload bytes of the incomplete frame at the front of `unparsed` already checked as UTF-8,
    /// and the validator's state after them: a bad byte fails the connection when it arrives.
    var partialFrameChecked = 0
    var partialFrameValidator = UTF8Validator()
    /// What fan-out has in flight for this subscriber and what waits for it.
    var fanOut = SubscriberFanOut()
    var channelID: ChannelID? { channel?.id }

    // Back-pressure: a peer that sends without reading must not grow our memory.
    /// Reading is stopped while too much is unsent; it resumes once the peer has read half of it.
    var isReadingPaused = false
    /// The latest ping's payload, waiting for the writes ahead of it: pongs behind a stalled
    /// reader are coalesced, since only the most recent one matters (RFC 6455 section 5.5.3).
    var pendingPong: [UInt8]?
    /// Parsed API requests not answered yet, answered in order as the peer reads the answers.
    var pendingRequests: [HTTPRequest] = []
    /// A parse error to answer once the requests before it are answered.
    var pendingParseError: HTTPParseError?
    /// Answers of API requests handed to the API that have not left yet, in request order.
    var answers = AnswerQueue()
    /// Whether this connection holds one of the `ws.max_connections` places.
    var isAdmitted = false
    /// Whether this connection was refused with 503 and only lingers.
    var isRefusal = false
    /// Whether its close has been counted for the metrics (a close frame sent, or the drop).
    var closeCounted = false

    init(loop: EventLoop, kind: Kind) {
        self.loop = loop
        self.kind = kind
        loop.connectionSerial += 1
        id = "\(loop.index)-\(loop.connectionSerial)"
        let configuration = loop.context.configuration
        decoder = WebSocketFrameDecoder(role: .server, maxPayloadLength: configuration.maxMessageSize)
        assembler = WebSocketMessageAssembler(maxMessageSize: configuration.maxMessageSize)
        lifecycle = ConnectionStateMachine(now: loop.currentTick, requestTimeout: .max)
        handle = .allocate(capacity: 1)
        uv_tcp_init(loop.uv, handle)
        handle.pointee.data = Unmanaged.passRetained(self).toOpaque()
    }

    var stream: UnsafeMutablePointer<uv_stream_t> { cast(handle, to: uv_stream_t.self) }

    static func from(_ pointer: UnsafeMutableRawPointer?) -> Connection {
        Unmanaged<Connection>.fromOpaque(pointer!).takeUnretainedValue()
    }

    /// Registers with the loop and starts reading the upgrade request.
    func start() {
        loop.connections[ObjectIdentifier(self)] = self
        loop.counters.connections.add(1, ordering: .relaxed)
        loop.counters.accepted.add(1, ordering: .relaxed)
        uv_tcp_nodelay(handle, 1)
        if kind == .webSocket, loop.context.configuration.effectiveSocketSendBuffer > 0 {
            var size = Int32(loop.context.configuration.effectiveSocketSendBuffer)
            uv_send_buffer_size(cast(handle, to: uv_handle_t.self), &size)
        }
        requestParser = HTTPRequestParser(limits: kind == .webSocket ? loop.context.requestLimits : loop.context.apiRequestLimits)
        let timeout =
            kind == .webSocket ? loop.context.configuration.requestTimeout : loop.context.configuration.apiRequestTimeout
        lifecycle = ConnectionStateMachine(now: loop.currentTick, requestTimeout: EventLoop.ticks(timeout))
        scheduleTimer()
        startReading()
    }

    private func startReading() {
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
                    connection.received(UnsafeRawBufferPointer(start: buffer!.pointee.base, count: count))
                    connection.pauseReadingIfBehind()
                } else if count < 0 {
                    // The peer closed its side or the socket failed: nobody is left to talk to.
                    connection.abort()
                }
            })
        if status != 0 { abort() }
    }

    // MARK: - Back-pressure

    /// Bytes queued for the peer that the kernel has not taken yet.
    var unsentBytes: Int { uv_stream_get_write_queue_size(stream) }

    /// Unsent bytes above which this connection stops reading (and, on the WebSocket port, the
    /// slow-consumer policy applies to channel messages).
    var pendingBytesLimit: Int {
        kind == .webSocket ? loop.context.configuration.maxPendingBytes : loop.context.configuration.apiMaxPendingBytes
    }

    /// Stops reading from a peer that has too much unread, or whose requests wait for that.
    func pauseReadingIfBehind() {
        guard !isReadingPaused, phase != .closed, phase != .lingering, unsentBytes > pendingBytesLimit || !pendingRequests.isEmpty
        else { return }
        uv_read_stop(stream)
        isReadingPaused = true
    }

    /// A write finished: send what waited for it, and read again once the peer caught up.
    func writeCompleted() {
        guard phase != .closed else { return }
        if writesInFlight == 0, fanOut.isWriting, channel != nil {
            loop.fanOutConsumer.writeCompleted(self, through: loop)
            loop.flushMetrics()
        }
        if writesInFlight == 0, let pong = pendingPong {
            pendingPong = nil
            write(SharedFrame(opcode: .pong, payload: pong))
        }
        if !pendingRequests.isEmpty || pendingParseError != nil { serveQueuedRequests() }
        if isReadingPaused, phase != .closed, pendingRequests.isEmpty, unsentBytes <= pendingBytesLimit / 2 {
            startReading()
        }
    }

    /// Turns away a connection over `ws.max_connections`: a 503, then a short linger so the
    /// peer reads it. Past a few hundred refusals lingering on this loop, new ones are reset at
    /// once, so that a flood cannot hold descriptors through refusals either.
    func refuse() {
        loop.counters.refusedConnections.add(1, ordering: .relaxed)
        guard loop.lingeringRefusals < EventLoop.maxLingeringRefusals else {
            abort(reset: true)
            return
        }
        isRefusal = true
        loop.lingeringRefusals += 1
        start()
        respondAndClose(.error(503, "too many connections; try again later", headers: [("Retry-After", "1")]))
    }

    // MARK: - Input

    private func received(_ bytes: UnsafeRawBufferPointer) {
        lifecycle.received(now: loop.currentTick)
        switch phase {
        case .lingering, .closed:
            return
        case .http:
            receiveRequestBytes(bytes)
        case .open, .closeSent:
            if unparsed.isEmpty {
                let used = receiveFrames(bytes)
                if used < bytes.count, phase == .open || phase == .closeSent {
                    unparsed.append(contentsOf: UnsafeRawBufferPointer(rebasing: bytes[used...]))
                }
            } else {
                // Take the bytes out first: handling a frame may reset `unparsed` (on a close),
                // which must not happen while it is being read.
                var buffer: [UInt8] = []
                swap(&buffer, &unparsed)
                buffer.append(contentsOf: bytes)
                let used = buffer.withUnsafeBytes { receiveFrames($0) }
                guard phase == .open || phase == .closeSent else { return }
                if used == 0 {
                    unparsed = buffer
                } else if used < buffer.count {
                    unparsed = Array(buffer[used...])
                }
            }
        }
    }

    // MARK: - Timers

    /// Makes sure the wheel wakes us for the earliest deadline the lifecycle has.
    func scheduleTimer() {
        let deadline = lifecycle.nextDeadline
        guard deadline != .max, deadline < scheduledDeadline else { return }
        scheduledDeadline = deadline
        loop.wheel.schedule(self, at: deadline)
    }

    /// The wheel reached a deadline scheduled for this connection: do what the lifecycle says.
    func timerFired(deadline: UInt64, now: UInt64) {
        // Entries are never removed: only the one matching the current schedule counts.
        guard deadline == scheduledDeadline, phase != .closed else { return }
        scheduledDeadline = .max
        // An API connection with no request half-read closes quietly (408 is for a request that
        // did not finish arriving); answers still owed would be stuck behind a reader that stopped.
        let idle = kind != .webSocket && requestParser?.isInsideRequest == false
        switch lifecycle.timerFired(now: now, idle: idle) {
        case .none:
            break
        case .requestTimedOut:
            respondAndClose(.error(408, "the request took too long"))
        case .closeIdle:
            linger()
        case .handshakeTimedOut:
            if case .wlive(var session) = role {
                let action = session.handshakeTimedOut()
                role = .wlive(session)
                perform(action)
            }
        case .heartbeat:
            sendHeartbeat()
        case .silent:
            fail(.wliveHeartbeatTimeout, reason: "no sign of life")
        case .reset:
            // The peer neither answered nor drained in time (a reader that stopped reading):
            // reset, so the kernel drops what is still queued instead of keeping an orphan
            // socket with its buffers, and the peer learns at once that it was cut off.
            abort(reset: true)
        }
        scheduleTimer()
    }

    // MARK: - Closing

    /// Starts the close handshake: sends a close frame and waits (bounded) for the peer's.
    func close(_ code: WebSocketCloseCode, reason: String) {
        switch phase {
        case .open:
            writeClose(code, reason: reason)
            _ = lifecycle.closeSent(now: loop.currentTick, within: EventLoop.ticks(Self.closeHandshakeSeconds))
            leaveSubscription()
            scheduleTimer()
        case .http:
            abort()
        case .closeSent, .lingering, .closed:
            break
        }
    }

    /// Ends the connection for a graceful shutdown: a WebSocket gets 1001 after what is queued;
    /// an API connection stops reading and closes once its answers are written.
    func closeForShutdown() {
        switch (kind, phase) {
        case (.api, .http), (.admin, .http): linger()
        case (.webSocket, .http): abort()
        default: close(.goingAway, reason: "server shutting down")
        }
    }

    /// Fails the WebSocket connection: close frame, then our side of TCP shut at once.
    func fail(_ code: WebSocketCloseCode, reason: String) {
        if phase == .open { writeClose(code, reason: reason) }
        linger()
    }

    /// Seconds the close handshake and the final linger may take.
    static let closeHandshakeSeconds = 3.0

    /// Shuts our side down once queued writes are flushed, then reads until the peer hangs up.
    /// Closing at once could reset the socket and destroy the last frames before the peer reads them.
    func linger() {
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
        if !closeCounted, phase == .open {
            // An open WebSocket dropped without our close frame.
            closeCounted = true
            loop.counters.countClose(Int(WebSocketCloseCode.abnormalClosure.rawValue))
        }
        if reset {
            var descriptor: uv_os_fd_t = -1
            if uv_fileno(cast(handle, to: uv_handle_t.self), &descriptor) == 0 {
                var option = CLibUV.linger(l_onoff: 1, l_linger: 0)
                setsockopt(descriptor, SOL_SOCKET, SO_LINGER, &option, socklen_t(MemoryLayout<CLibUV.linger>.size))
            }
        }
        _ = lifecycle.closed()
        releaseState()
        if isAdmitted {
            isAdmitted = false
            loop.context.releaseConnection()
        }
        if isRefusal {
            isRefusal = false
            loop.lingeringRefusals -= 1
        }
        uv_close(cast(handle, to: uv_handle_t.self)) { handle in
            let connection = Connection.from(handle!.pointee.data)
            connection.loop.connectionClosed(connection)
            Unmanaged<Connection>.fromOpaque(handle!.pointee.data).release()
            UnsafeMutableRawPointer(handle!).deallocate()
        }
    }

    /// Drops what only an open connection needs: its subscription and its input state.
    private func releaseState() {
        leaveSubscription()
        requestParser = nil
        unparsed = []
        pendingRequests = []
        pendingParseError = nil
        answers.removeAll()
        pendingPong = nil
    }

    /// Stops receiving the channel's comments.
    func leaveSubscription() {
        guard let channel else { return }
        loop.unsubscribe(self, from: channel)
        channel.adjustSubscribers(by: -1)
        self.channel = nil
    }
}
