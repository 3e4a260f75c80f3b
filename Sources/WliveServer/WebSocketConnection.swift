import CLibUV
import WliveCodec
import WliveDeflate
import WliveEngine
import WliveProtocol

/// A connection on the WebSocket port: one upgrade request, then RFC 6455 frames. A Wlive
/// viewer's handshake subscribes it to a channel, and fan-out writes the channel's messages to
/// it (`FanOutConsumer` keeps its place in `fanOut`); the echo path, for conformance suites,
/// sends every message back.
final class WebSocketConnection: Connection, Subscriber {
    /// What the connection is for once upgraded.
    enum Role {
        case wlive(WliveSession)
        case echo
    }

    var role = Role.echo
    var decoder: WebSocketFrameDecoder
    var assembler: WebSocketMessageAssembler
    /// Payload bytes of the incomplete frame at the front of `unparsed` already checked as UTF-8,
    /// and the validator's state after them: a bad byte fails the connection when it arrives.
    var partialFrameChecked = 0
    var partialFrameValidator = UTF8Validator()

    /// What permessage-deflate agreed, when the client negotiated it; and the inflater for its
    /// compressed messages, made when the first one arrives (a viewer seldom sends any).
    var deflate: PerMessageDeflate?
    var inflater: DeflateInflater?
    /// Serves Server-Sent Events instead of WebSocket frames (`WebSocketConnection+EventStream`).
    var isEventStream = false

    // Subscription.
    var subscriberSlot = -1
    var channel: ChannelRecord?
    /// The room's anchor itself (its owner, with its login token): its presence while open.
    var isAnchor = false
    var channelID: ChannelID? { channel?.id }
    /// What fan-out has in flight for this subscriber and what waits for it.
    var fanOut = SubscriberFanOut()

    /// The latest ping's payload, waiting for the writes ahead of it: pongs behind a stalled
    /// reader are coalesced, since only the most recent one matters (RFC 6455 section 5.5.3).
    var pendingPong: [UInt8]?
    /// Whether this connection holds one of the `ws.max_connections` places.
    var isAdmitted = false
    /// Whether this connection was refused with 503 and only lingers.
    var isRefusal = false
    /// Whether its close has been counted for the metrics (a close frame sent, or the drop).
    var closeCounted = false

    init(loop: EventLoop) {
        let configuration = loop.context.configuration
        decoder = WebSocketFrameDecoder(role: .server, maxPayloadLength: configuration.maxMessageSize)
        assembler = WebSocketMessageAssembler(maxMessageSize: configuration.maxMessageSize)
        super.init(loop: loop, pendingBytesLimit: configuration.maxPendingBytes)
    }

    /// Registers with the loop and starts reading the upgrade request.
    func start() {
        let configuration = loop.context.configuration
        if configuration.effectiveSocketSendBuffer > 0 {
            var size = Int32(configuration.effectiveSocketSendBuffer)
            uv_send_buffer_size(cast(handle, to: uv_handle_t.self), &size)
        }
        start(requestLimits: loop.context.requestLimits, requestTimeout: configuration.requestTimeout)
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

    override func receive(_ bytes: UnsafeRawBufferPointer) {
        switch phase {
        case .lingering, .closed:
            return
        case .http:
            receiveRequestBytes(bytes)
        case .open, .closeSent:
            // An event-stream client sends nothing after its request; whatever comes is dropped.
            if isEventStream { return }
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

    /// A write finished: the fan-out news and the pong that waited for it leave now.
    override func writeFinished() {
        guard writesInFlight == 0 else { return }
        if fanOut.isWriting, channel != nil {
            loop.fanOutConsumer.writeCompleted(self, through: loop)
            loop.flushMetrics()
        }
        if let pong = pendingPong {
            pendingPong = nil
            write(SharedFrame(opcode: .pong, payload: pong))
        }
    }

    // MARK: - Timers

    override func timerFired(_ action: ConnectionStateMachine.Action) {
        switch action {
        case .handshakeTimedOut:
            if case .wlive(var session) = role {
                let next = session.handshakeTimedOut()
                role = .wlive(session)
                perform(next)
            }
        case .heartbeat:
            sendHeartbeat()
        case .silent:
            fail(.wliveHeartbeatTimeout, reason: "no sign of life")
        default:
            break
        }
    }

    // MARK: - Closing

    /// Starts the close handshake: sends a close frame and waits (bounded) for the peer's.
    func close(_ code: WebSocketCloseCode, reason: String) {
        if isEventStream, phase == .open { return endEventStream() }
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

    /// A WebSocket gets 1001 after what is queued; a connection still upgrading just closes.
    override func closeForShutdown() {
        if phase == .http { abort() } else { close(.goingAway, reason: "server shutting down") }
    }

    /// Fails the WebSocket connection: close frame, then our side of TCP shut at once.
    func fail(_ code: WebSocketCloseCode, reason: String) {
        if isEventStream, phase == .open { return endEventStream() }
        if phase == .open { writeClose(code, reason: reason) }
        linger()
    }

    override func abort(reset: Bool = false) {
        guard phase != .closed else { return }
        if !closeCounted, phase == .open {
            // An open WebSocket dropped without our close frame.
            closeCounted = true
            loop.counters.countClose(Int(WebSocketCloseCode.abnormalClosure.rawValue))
        }
        if isAdmitted {
            isAdmitted = false
            loop.context.releaseConnection()
        }
        if isRefusal {
            isRefusal = false
            loop.lingeringRefusals -= 1
        }
        super.abort(reset: reset)
    }

    override func releaseState() {
        super.releaseState()
        leaveSubscription()
        pendingPong = nil
    }

    /// Stops receiving the channel's comments.
    func leaveSubscription() {
        guard let channel else { return }
        loop.unsubscribe(self, from: channel)
        channel.adjustSubscribers(by: -1)
        if isAnchor { loop.anchorPresence(channel.id, connected: false) }
        self.channel = nil
    }
}
