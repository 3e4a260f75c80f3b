import Foundation
import Logging
import Synchronization
import WliveCodec
import WliveConfig
import WliveEngine
import WliveProtocol

/// The Wlive gateway, embeddable in any process: tests start it in-process, `wlive serve` runs it.
///
/// ```swift
/// let gateway = Gateway(configuration: config)
/// let ports = try gateway.start()          // port 0 in the configuration: ephemeral
/// gateway.openChannel(ChannelID(rawValue: 42))
/// gateway.publish(...)
/// gateway.shutdown()                       // graceful and bounded
/// ```
public final class Gateway: Sendable {
    /// The ports the gateway listens on, once started.
    public struct BoundPorts: Sendable, Equatable {
        public var webSocket: Int
    }

    /// Why a publish or a close was refused, in the seed's result codes.
    public typealias Refusal = WliveResultCode

    public let configuration: GatewayConfiguration
    /// Every channel this gateway knows.
    public let channels: ChannelDirectory
    private let context: GatewayContext
    private let logger: Logger
    private let state = Mutex<State>(.idle)

    private enum State {
        case idle
        case running([EventLoop], BoundPorts)
        case stopped
    }

    public init(configuration: GatewayConfiguration, logger: Logger = Logger(label: "wlive")) {
        self.configuration = configuration
        self.logger = logger
        channels = ChannelDirectory()
        context = GatewayContext(configuration: configuration, channels: channels)
    }

    /// Binds the ports and starts the loops. Throws (and leaves nothing running) when a port cannot be bound.
    @discardableResult
    public func start() throws -> BoundPorts {
        try state.withLock { state in
            guard case .idle = state else { throw GatewayError.alreadyStarted }
            var loops: [EventLoop] = []
            var port = configuration.webSocketPort
            do {
                for index in 0..<configuration.effectiveWorkers {
                    let loop = try EventLoop(index: index, context: context, logger: logger)
                    loops.append(loop)
                    let listener = try Listener(loop: loop, host: configuration.host, port: port, kind: .webSocket)
                    loop.listener = listener
                    // Every further loop binds the port the first one got.
                    port = listener.port
                }
            } catch {
                // Nothing runs yet: stop the loops we made so their handles close.
                for loop in loops {
                    loop.start()
                    loop.send(.shutdown)
                    loop.waitUntilStopped()
                }
                throw error
            }
            let ports = BoundPorts(webSocket: port)
            for loop in loops { loop.start() }
            state = .running(loops, ports)
            logger.info("wlive listening", metadata: ["ws": "\(configuration.host):\(port)\(configuration.webSocketPath)",
                                                      "workers": "\(loops.count)"])
            return ports
        }
    }

    /// Graceful shutdown: stop accepting, close every client with 1001, flush, and return once
    /// every loop has stopped (at most about `shutdown.timeout` seconds). Safe to call twice.
    public func shutdown() {
        let loops: [EventLoop] = state.withLock { state in
            guard case let .running(loops, _) = state else {
                state = .stopped
                return []
            }
            state = .stopped
            // Sent under the lock, so no publish can reach a loop after its wake-up handle closes.
            for loop in loops { loop.send(.shutdown) }
            return loops
        }
        for loop in loops { loop.waitUntilStopped() }
        if !loops.isEmpty { logger.info("wlive stopped") }
    }

    // MARK: - Channels and comments

    /// Opens a live channel; false when the id is already known.
    @discardableResult
    public func openChannel(_ id: ChannelID) -> Bool {
        channels.open(id) != nil
    }

    /// Ends a channel: its subscribers get what was published before, then a `channel_closed`
    /// message and a normal close. Later handshakes and comments get code 2.
    public func closeChannel(_ id: ChannelID, reason: String = "") -> Result<Void, Refusal> {
        switch channels.close(id) {
        case .failure(.notFound): return .failure(.channelNotFound)
        case .failure(.alreadyClosed): return .failure(.channelClosed)
        case .success:
            let frame = SharedFrame(opcode: .text, payload: ServerMessage.channelClosed(
                channelID: id, reason: reason, time: wallClockMilliseconds()).encoded())
            broadcast(.closeChannel(id, frame))
            return .success(())
        }
    }

    /// A comment to publish; the gateway assigns `id`, `seq` and `time`.
    public struct CommentDraft: Sendable {
        public var channelID: ChannelID
        public var userID: String
        public var source: Int
        public var biz: String
        public var content: String
        public var extJSON: String
        public var commentType: String

        public init(channelID: ChannelID, userID: String, source: Int, biz: String, content: String,
                    extJSON: String = "", commentType: String = "") {
            self.channelID = channelID
            self.userID = userID
            self.source = source
            self.biz = biz
            self.content = content
            self.extJSON = extJSON
            self.commentType = commentType
        }
    }

    /// Publishes a comment to every subscriber of its channel; encodes it once.
    public func publish(_ draft: CommentDraft) -> Result<Comment, Refusal> {
        guard let record = channels.lookup(draft.channelID) else { return .failure(.channelNotFound) }
        guard record.status == .live else { return .failure(.channelClosed) }
        // One lock orders sequence numbers and hand-over, so every loop sees comments in seq order.
        return state.withLock { state in
            guard case let .running(loops, _) = state else { return .failure(.internalError) }
            let seq = record.nextSeq()
            let comment = Comment(id: "\(draft.channelID)-\(seq)", seq: seq, channelID: draft.channelID,
                                  userID: draft.userID, source: draft.source, biz: draft.biz, extJSON: draft.extJSON,
                                  content: draft.content, commentType: draft.commentType, time: wallClockMilliseconds())
            let frame = SharedFrame(opcode: .text, payload: ServerMessage.comment(comment).encoded())
            for loop in loops { loop.send(.deliver(draft.channelID, frame)) }
            return .success(comment)
        }
    }

    private func broadcast(_ message: LoopMessage) {
        state.withLock { state in
            guard case let .running(loops, _) = state else { return }
            for loop in loops { loop.send(message) }
        }
    }

    // MARK: - Observing

    /// Open TCP connections on the WebSocket port, over every loop.
    public var connectionCount: Int { loopStatistics.reduce(0) { $0 + $1.connections } }

    /// Numbers per loop, for tests and metrics.
    public struct LoopStatistics: Sendable, Equatable {
        public var connections: Int
        public var accepted: Int
        public var delivered: Int
        public var slowConsumersDropped: Int
    }

    public var loopStatistics: [LoopStatistics] {
        state.withLock { state in
            guard case let .running(loops, _) = state else { return [] }
            return loops.map { loop in
                LoopStatistics(connections: loop.counters.connections.load(ordering: .relaxed),
                               accepted: loop.counters.accepted.load(ordering: .relaxed),
                               delivered: loop.counters.delivered.load(ordering: .relaxed),
                               slowConsumersDropped: loop.counters.slowConsumersDropped.load(ordering: .relaxed))
            }
        }
    }
}

public enum GatewayError: Error, CustomStringConvertible {
    case alreadyStarted

    public var description: String { "the gateway was already started" }
}
