import WliveCodec

/// The Wlive conversation on one WebSocket, from the first text frame to the close, as a plain
/// state machine: events in, actions out, no I/O. The transport owns the socket and the timers
/// and does what the actions say.
public struct WliveSession: Sendable {
    public struct Configuration: Sendable, Equatable {
        /// Sources a handshake may name (seed 000: 0–6, 20 for anonymous live viewers, 108).
        public var allowedSources: Set<Int>
        public var heartbeat: HeartbeatPolicy
        /// Upstream data messages answered with an error before the connection is closed with 1008.
        public var upstreamAllowance: Int

        public init(
            allowedSources: Set<Int> = [0, 1, 2, 3, 4, 5, 6, 20, 108],
            heartbeat: HeartbeatPolicy = HeartbeatPolicy(), upstreamAllowance: Int = 3
        ) {
            self.allowedSources = allowedSources
            self.heartbeat = heartbeat
            self.upstreamAllowance = upstreamAllowance
        }
    }

    public enum State: Sendable, Equatable {
        case awaitingHandshake
        /// A valid handshake arrived; the transport is looking the channel up.
        case resolvingChannel(WliveHandshake, interval: Int)
        case subscribed(ChannelID, interval: Int)
        case closed
    }

    public enum Action: Sendable, Equatable {
        case none
        /// Look up the channel and call `channelResolved`.
        case resolveChannel(ChannelID)
        /// Send the acknowledgement and start delivering the channel, beating every `interval` seconds.
        case subscribe(ChannelID, interval: Int, acknowledgement: ServerMessage)
        /// Send this message and keep going.
        case send(ServerMessage)
        /// Send this message, then close the WebSocket with this code.
        case sendAndClose(ServerMessage, WebSocketCloseCode, reason: String)
    }

    public let configuration: Configuration
    public private(set) var state: State = .awaitingHandshake
    private var upstreamStrikes = 0
    /// The upgrade request's query fields (`channel_id`, `since_seq`, `epoch`), if any.
    private let query: [String: String]

    public init(configuration: Configuration, query: [String: String] = [:]) {
        self.configuration = configuration
        self.query = query
    }

    /// A complete text message from the client.
    public mutating func receiveText(_ bytes: [UInt8]) -> Action {
        switch state {
        case .awaitingHandshake:
            switch WliveHandshake.parse(bytes, query: query) {
            case .failure(let error):
                return reject(error.code, error.message)
            case .success(let handshake):
                guard configuration.allowedSources.contains(handshake.source) else {
                    return reject(.unknownSource, "unknown source \(handshake.source)")
                }
                let interval = configuration.heartbeat.interval(forRequested: handshake.timerInterval)
                state = .resolvingChannel(handshake, interval: interval)
                return .resolveChannel(handshake.channelID)
            }
        case .resolvingChannel, .subscribed:
            if Self.isApplicationHeartbeat(bytes) { return .none }
            return upstreamData()
        case .closed:
            return .none
        }
    }

    /// A complete binary message from the client: never part of the protocol.
    public mutating func receiveBinary() -> Action {
        switch state {
        case .awaitingHandshake: return reject(.invalidParameter, "the handshake must be a JSON text message")
        case .resolvingChannel, .subscribed: return upstreamData()
        case .closed: return .none
        }
    }

    /// The channel the handshake named, in the state the gateway knows it in (nil: no such
    /// channel). The acknowledgement says nothing of a resume yet: the transport fills that in.
    /// `admitted` is false when the room needs a viewer token (a private room, or
    /// `ws.require_token`) and the handshake's `im_token` is not a valid one: code -2.
    public mutating func channelResolved(
        _ channelState: ChannelState?, counts: ChannelCounts, lastSeq: UInt64, epoch: UInt64 = 0, now: Int64,
        admitted: Bool = true
    ) -> Action {
        guard case .resolvingChannel(let handshake, let interval) = state else { return .none }
        guard let channelState else { return reject(.channelNotFound, "channel \(handshake.channelID) not found") }
        guard !channelState.isFinal else { return reject(.channelClosed, "channel \(handshake.channelID) is closed") }
        guard admitted else {
            return reject(.notLoggedIn, "this room needs a valid viewer token in im_token for user_id \"\(handshake.userID)\"")
        }
        state = .subscribed(handshake.channelID, interval: interval)
        return .subscribe(
            handshake.channelID, interval: interval,
            acknowledgement: .handshakeAccepted(
                Acknowledgement(
                    channelID: handshake.channelID, timerInterval: interval, counts: counts, lastSeq: lastSeq,
                    serverTime: now, state: channelState, epoch: epoch)))
    }

    /// The handshake being resolved, for the transport's token check.
    public var pendingHandshake: WliveHandshake? {
        guard case .resolvingChannel(let handshake, _) = state else { return nil }
        return handshake
    }

    /// Where the handshake being resolved said the client stands, when it resumes.
    public var resume: ResumePoint? {
        guard case .resolvingChannel(let handshake, _) = state else { return nil }
        return handshake.resume
    }

    /// The handshake deadline passed.
    public mutating func handshakeTimedOut() -> Action {
        guard case .awaitingHandshake = state else { return .none }
        state = .closed
        return .sendAndClose(
            .handshakeRejected(code: .invalidParameter, message: "no handshake within the timeout"),
            .wliveHandshakeTimeout, reason: "handshake timeout")
    }

    /// The connection is going away for another reason; ignore everything from now on.
    public mutating func close() { state = .closed }

    private mutating func reject(_ code: WliveResultCode, _ message: String) -> Action {
        state = .closed
        return .sendAndClose(.handshakeRejected(code: code, message: message), code.closeCode, reason: message)
    }

    private mutating func upstreamData() -> Action {
        upstreamStrikes += 1
        guard upstreamStrikes <= configuration.upstreamAllowance else {
            state = .closed
            return .sendAndClose(
                .error(code: .permissionDenied, message: Self.downstreamOnlyMessage),
                .policyViolation, reason: "downstream-only connection")
        }
        return .send(.error(code: .permissionDenied, message: Self.downstreamOnlyMessage))
    }

    public static let downstreamOnlyMessage =
        "this connection is downstream-only: post comments with POST /live/sendComment on the HTTP port"

    /// An application heartbeat the client may send up: `ping`, `heartbeat`, or a small JSON
    /// object whose `type` is one of those.
    public static func isApplicationHeartbeat(_ bytes: [UInt8]) -> Bool {
        guard bytes.count <= 256 else { return false }
        let text = String(decoding: bytes, as: UTF8.self).trimmingASCIIWhitespace().lowercased()
        if text == "ping" || text == "heartbeat" { return true }
        guard text.hasPrefix("{") else { return false }
        let compact = text.filter { !$0.isWhitespace }
        return compact.contains("\"type\":\"heartbeat\"") || compact.contains("\"type\":\"ping\"")
    }
}
