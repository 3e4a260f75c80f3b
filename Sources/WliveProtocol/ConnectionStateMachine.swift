/// The phases of one connection and the deadlines that go with them, as a plain state machine:
/// the transport reports events with the time (in its own ticks) and does what `timerFired`
/// says. No I/O and no clock of its own, so it is tested with a manual clock.
///
/// HTTP request (or keep-alive idle) → open WebSocket (handshake deadline, then heartbeats and
/// the silence limit once subscribed) → our close frame sent (bounded wait for the peer's) →
/// lingering (our side shut; bounded wait for the peer to hang up) → closed.
public struct ConnectionStateMachine: Sendable, Equatable {
    public enum Phase: Sendable, Equatable {
        /// Reading HTTP requests: the upgrade request, or API calls.
        case http
        /// WebSocket frames flow.
        case open
        /// We sent a close frame and wait for the peer's.
        case closeSent
        /// Our side is shut down; reading until the peer closes or the linger time ends.
        case lingering
        /// The socket is closed.
        case closed
    }

    /// What a deadline that passed asks of the transport.
    public enum Action: Sendable, Equatable {
        case none
        /// The request did not arrive in time: answer 408 and close.
        case requestTimedOut
        /// An idle keep-alive connection: close it quietly.
        case closeIdle
        /// The upgrade happened, but no handshake came in time (the session says what to send).
        case handshakeTimedOut
        /// Send a heartbeat.
        case heartbeat
        /// Nothing heard from the peer for the silence limit: fail the connection (4409).
        case silent
        /// The peer neither answered our close nor hung up in time: reset the socket.
        case reset
    }

    public private(set) var phase = Phase.http
    /// When the current phase's wait ends; `.max` when it has none.
    private var phaseDeadline: UInt64
    /// Once subscribed: ticks between heartbeats, and of silence before the peer counts as gone.
    private var heartbeatInterval: UInt64 = 0
    private var silenceLimit: UInt64 = 0
    private var nextHeartbeat: UInt64 = .max
    /// The last time anything arrived from the peer.
    public private(set) var lastActivity: UInt64

    /// A connection accepted at `now`, whose first request must arrive within `requestTimeout`.
    public init(now: UInt64, requestTimeout: UInt64) {
        lastActivity = now
        phaseDeadline = now &+ requestTimeout
    }

    private var isSubscribed: Bool { heartbeatInterval > 0 }

    /// The earliest moment a deadline passes; `.max` when none is set.
    public var nextDeadline: UInt64 {
        guard phase != .closed else { return .max }
        guard phase == .open, isSubscribed else { return phaseDeadline }
        return min(phaseDeadline, nextHeartbeat, lastActivity &+ silenceLimit)
    }

    // MARK: Events

    /// Bytes arrived from the peer.
    public mutating func received(now: UInt64) { lastActivity = now }

    /// API requests were answered: the connection may idle until `now + idleTimeout`.
    public mutating func requestsAnswered(now: UInt64, idleTimeout: UInt64) {
        guard phase == .http else { return }
        phaseDeadline = now &+ idleTimeout
    }

    /// The upgrade succeeded; a Wlive connection must send its handshake within `handshakeTimeout`.
    public mutating func upgraded(now: UInt64, handshakeTimeout: UInt64?) {
        guard phase == .http else { return }
        phase = .open
        phaseDeadline = handshakeTimeout.map { now &+ $0 } ?? .max
    }

    /// The handshake was accepted: heartbeats every `interval` ticks from now on, and the peer
    /// counts as gone after `silence` ticks without a sign of life.
    public mutating func subscribed(now: UInt64, interval: UInt64, silence: UInt64) {
        guard phase == .open else { return }
        heartbeatInterval = max(1, interval)
        silenceLimit = max(1, silence)
        nextHeartbeat = now &+ heartbeatInterval
        phaseDeadline = .max
    }

    /// We sent our close frame; the peer has `within` ticks to answer. False unless open.
    public mutating func closeSent(now: UInt64, within: UInt64) -> Bool {
        guard phase == .open else { return false }
        phase = .closeSent
        phaseDeadline = now &+ within
        return true
    }

    /// Our side is shut down; the peer has `within` ticks to hang up. False when already
    /// lingering or closed.
    public mutating func lingering(now: UInt64, within: UInt64) -> Bool {
        guard phase != .lingering, phase != .closed else { return false }
        phase = .lingering
        phaseDeadline = now &+ within
        return true
    }

    /// The socket is closed. False when it already was.
    public mutating func closed() -> Bool {
        guard phase != .closed else { return false }
        phase = .closed
        return true
    }

    /// A deadline may have passed.
    /// - Parameter idle: in the HTTP phase, whether no request is half-read and nothing is
    ///   owed (an idle keep-alive API connection, which closes quietly rather than with 408).
    public mutating func timerFired(now: UInt64, idle: Bool = false) -> Action {
        if now >= phaseDeadline {
            phaseDeadline = .max
            switch phase {
            case .http: return idle ? .closeIdle : .requestTimedOut
            case .open: return .handshakeTimedOut
            case .closeSent, .lingering: return .reset
            case .closed: return .none
            }
        }
        guard phase == .open, isSubscribed else { return .none }
        if now >= lastActivity &+ silenceLimit { return .silent }
        if now >= nextHeartbeat {
            nextHeartbeat = now &+ heartbeatInterval
            return .heartbeat
        }
        return .none
    }
}
