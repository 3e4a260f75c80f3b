import Foundation
import Logging
import Synchronization
import WliveAPI
import WliveAdmin
import WliveCluster
import WliveCodec
import WliveConfig
import WliveEngine
import WliveProtocol
import WliveSQLite
import WliveSpam
import WliveStore

/// The Wlive gateway, embeddable in any process: tests start it in-process, `wlive serve` runs it.
///
/// ```swift
/// let gateway = Gateway(configuration: config, openChannels: [ChannelID(rawValue: 42)])
/// let ports = try gateway.start()          // port 0 in the configuration: ephemeral
/// _ = await gateway.publish(...)
/// gateway.shutdown()                       // graceful and bounded
/// ```
///
/// Threads: `workers` loops own the WebSocket connections; one more loop, the ingest loop, runs
/// the HTTP API and is the only producer into the channel rings. The `async` calls below run on
/// the ingest loop and resume their caller from it; no thread waits for them. `start()` and
/// `shutdown()` block, and may be called from any thread except a gateway loop's own.
public final class Gateway: Sendable {
    /// The ports the gateway listens on, once started.
    public struct BoundPorts: Sendable, Equatable {
        public var webSocket: Int
        public var http: Int
        /// The admin port; nil when `admin.enabled` is false.
        public var admin: Int?
    }

    /// Why a publish or a close was refused, in the seed's result codes.
    public typealias Refusal = WliveResultCode

    public let configuration: GatewayConfiguration
    /// Every channel this gateway knows, with its state: the push tier's index, written by the
    /// ingest loop only (the API's calls and `openChannel`/`closeChannel`).
    package let channels: ChannelDirectory
    private let context: GatewayContext
    private let logger: Logger
    private let state = Mutex<State>(.idle)
    /// Channels to open as the gateway starts.
    private let channelsToOpen: [ChannelID]

    private enum State {
        case idle
        case running(workers: [EventLoop], ingest: EventLoop, BoundPorts, store: StoreThread?)
        case stopped
    }

    /// - Parameter openChannels: live channels to open as the gateway starts (for the API as for
    ///   the push tier), such as `wlive serve --open-channel`.
    public init(configuration: GatewayConfiguration, logger: Logger = Logger(label: "wlive"), openChannels: [ChannelID] = []) {
        channelsToOpen = openChannels
        self.configuration = configuration
        self.logger = logger
        channels = ChannelDirectory(ringCapacity: configuration.ringCapacity, workers: configuration.effectiveWorkers)
        context = GatewayContext(configuration: configuration, channels: channels, logger: logger)
    }

    /// Binds the ports and starts the loops. Throws (and leaves nothing running) when a port
    /// cannot be bound or the banned-word file cannot be read.
    @discardableResult
    public func start() throws -> BoundPorts {
        guard (1...GatewayConfiguration.maxWorkers).contains(configuration.effectiveWorkers) else {
            throw GatewayError.configuration(
                ConfigurationError(
                    key: "workers", problem: "\(configuration.workers) must be in 0...\(GatewayConfiguration.maxWorkers)"))
        }
        let admin = configuration.admin
        if admin.enabled, !admin.isLoopback, admin.token.isEmpty {
            throw GatewayError.configuration(
                ConfigurationError(
                    key: "admin.token", problem: "must be set when admin.host (\(admin.host)) is not a loopback address"))
        }
        // A write to a socket its peer reset raises SIGPIPE, whose default action ends the
        // process: libuv leaves ignoring it to the application, and a viewer's reset must never
        // take the gateway (or the process embedding it) down. The write fails with EPIPE instead.
        signal(SIGPIPE, SIG_IGN)
        let dictionary = try loadDictionary()
        let cluster = try loadCluster()
        let (durable, restored, bans) = try cluster.map { (nil, $0.bootstrap.rooms, $0.bootstrap.bans) } ?? openStore()
        return try state.withLock { state in
            guard case .idle = state else { throw GatewayError.alreadyStarted }
            var loops: [EventLoop] = []
            var port = configuration.webSocketPort
            do {
                for index in 0..<configuration.effectiveWorkers {
                    let loop = try EventLoop(index: index, context: context)
                    loops.append(loop)
                    let listener = try Listener(loop: loop, host: configuration.host, port: port, kind: .webSocket)
                    loop.listener = listener
                    // Every further loop binds the port the first one got.
                    port = listener.port
                }
                let ingest = try EventLoop(index: loops.count, context: context)
                loops.append(ingest)
                ingest.listener = try Listener(loop: ingest, host: configuration.host, port: configuration.httpPort, kind: .api)
                if admin.enabled {
                    ingest.adminListener = try Listener(loop: ingest, host: admin.host, port: admin.port, kind: .admin)
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
            let ingest = loops.removeLast()
            for loop in loops { loop.ingestLoop = ingest }
            let ports = BoundPorts(webSocket: port, http: ingest.listener!.port, admin: ingest.adminListener?.port)
            let fanOut = FanOutEngine(workers: loops, channels: channels)
            let exporter = admin.enabled ? PrometheusExporter() : nil
            let readModel = InMemoryLiveStore()
            readModel.restore(restored)
            for room in restored {
                channels.open(
                    room.info.id, epoch: room.info.epoch, lastSeq: room.lastSeq, state: room.info.state,
                    moderation: RoomModeration(room.info))
            }
            var storeThread: StoreThread?
            let journal: any StoreJournal
            var link: ClusterLink?
            if let cluster {
                link = ClusterLink(
                    settings: configuration.cluster, endpoint: cluster.endpoint, loop: ingest, engine: fanOut,
                    retention: configuration.store.retention, logger: logger)
                journal = link!.journal
            } else if configuration.store.kind == .memory, let durable {
                journal = InlineJournal(store: durable)
            } else if let durable {
                let thread = StoreThread(store: durable, ingest: ingest)
                let threaded = ThreadedJournal(thread: thread) { [logger] error, failures in
                    logger.error(
                        "store writes failed; the calls waiting for them are answered 100",
                        metadata: ["error": "\(error)", "failed_batches": "\(failures)"])
                }
                ingest.storeJournal = threaded
                journal = threaded
                storeThread = thread
            } else {
                preconditionFailure("a gateway has a durable store or a cluster")
            }
            readModel.onChange = { [unowned journal] change in journal.record(change) }
            let history = HistoryReader(journal: journal, channels: channels) { [unowned fanOut] comment in
                fanOut.retractions.contains(comment)
            }
            link?.history = history
            var apiSettings = configuration.api
            if let cluster { apiSettings.nodeID = cluster.bootstrap.nodeNumber }
            let localFanOut = GatewayFanOut(engine: fanOut, history: history)
            let api = LiveAPI(
                settings: apiSettings, store: readModel, journal: journal,
                fanOut: link.map { ClusterFanOut(local: localFanOut, link: $0) } ?? localFanOut,
                spam: SpamFilter(settings: configuration.spam, dictionary: dictionary), logger: logger,
                metrics: exporter?.metricsFactory, wallClock: wallClockMilliseconds, monotonicClock: monotonicSeconds)
            api.countRestored(restored.map(\.info))
            api.restoreBans(bans)
            if let link {
                link.api = api
                link.follow(restored)
                api.replication = link
                ingest.cluster = link
            }
            if let exporter { ingest.admin = AdminService(ingest: ingest, workers: loops, exporter: exporter) }
            // No loop runs yet, so the API may be called from here; on a cluster, once the link
            // to Redis is up (below), on the ingest loop.
            if link == nil { adoptChannelsToOpen(api) }
            ingest.becomeIngestLoop(api: api, fanOut: fanOut)
            ingest.history = history
            storeThread?.start()
            for loop in loops + [ingest] { loop.start() }
            if let link, link.subscribedOnce.wait(timeout: .now() + configuration.cluster.commandTimeout * 2) == .timedOut {
                logger.warning("cluster: the bus subscription is not up yet; rooms opened meanwhile are read when it is")
            }
            if link != nil, !channelsToOpen.isEmpty {
                let adopted = DispatchSemaphore(value: 0)
                ingest.send(
                    .run { [self] loop in
                        if let api = loop.api { adoptChannelsToOpen(api) }
                        adopted.signal()
                    })
                adopted.wait()
            }
            state = .running(workers: loops, ingest: ingest, ports, store: storeThread)
            logger.info(
                "wlive listening",
                metadata: [
                    "ws": "\(configuration.host):\(port)\(configuration.webSocketPath)",
                    "http": "\(configuration.host):\(ports.http)",
                    "admin": "\(ports.admin.map { "\(admin.host):\($0)" } ?? "off")",
                    "workers": "\(loops.count)", "banned_words": "\(dictionary.wordCount)",
                    "store":
                        "\(cluster.map { "\($0.endpoint)" } ?? (configuration.store.kind == .memory ? "memory" : configuration.store.path))",
                    "rooms_restored": "\(restored.count)",
                ])
            return ports
        }
    }

    /// Graceful shutdown: `/readyz` answers 503 and, for `shutdown.drain_delay` seconds, the
    /// gateway goes on serving, so a load balancer can stop sending it clients; then it stops
    /// accepting, closes every client with 1001, flushes, and returns once every loop has stopped
    /// (about `shutdown.timeout` seconds later at most). Safe to call twice.
    public func shutdown() {
        let isRunning = state.withLock { state in
            if case .running = state { return true }
            return false
        }
        if isRunning, !context.isDraining.exchange(true, ordering: .relaxed), configuration.shutdownDrainDelay > 0 {
            logger.info("draining: /readyz answers 503", metadata: ["seconds": "\(configuration.shutdownDrainDelay)"])
            Thread.sleep(forTimeInterval: configuration.shutdownDrainDelay)
        }
        let running: (ingest: EventLoop, workers: [EventLoop], store: StoreThread?)? = state.withLock { state in
            guard case .running(let workers, let ingest, _, let store) = state else {
                state = .stopped
                return nil
            }
            state = .stopped
            // Sent under the lock, so no publish or API hop reaches the ingest loop after its
            // wake-up handle closes.
            ingest.send(.shutdown)
            return (ingest, workers, store)
        }
        guard let running else { return }
        // The ingest loop wakes the workers; it must be gone before they close their wake-up
        // handles, or it could signal a closed one (libuv aborts on that). It stops once
        // nothing waits for the store, so the store thread has nothing more to tell it.
        running.ingest.waitUntilStopped()
        running.store?.stop()
        for loop in running.workers { loop.send(.shutdown) }
        for loop in running.workers { loop.waitUntilStopped() }
        logger.info("wlive stopped")
    }

    // MARK: - Banned words

    private func loadDictionary() throws -> BannedWordDictionary {
        do {
            return try BannedWordDictionary(contentsOfFile: configuration.bannedWordsFile)
        } catch {
            throw GatewayError.dictionary(path: configuration.bannedWordsFile, reason: "\(error)")
        }
    }

    /// Reloads the banned-word dictionary from `spam.banned_words_file` without dropping a
    /// connection (SIGHUP does this). Returns the number of words loaded.
    @discardableResult
    public func reloadDictionary() async throws -> Int {
        let dictionary = try loadDictionary()
        _ = await onIngestLoop { loop in loop.api?.replaceDictionary(dictionary) }
        logger.info("banned words reloaded", metadata: ["words": "\(dictionary.wordCount)"])
        return dictionary.wordCount
    }

    // MARK: - Channels and comments

    /// Opens a live channel, for the API as for the push tier; false when the id is already
    /// known (or the gateway is not running: `init(configuration:logger:openChannels:)` opens
    /// channels as it starts).
    @discardableResult
    public func openChannel(_ id: ChannelID) async -> Bool {
        await onIngestLoop { loop in (try? loop.api?.adoptChannel(id)) ?? false } ?? false
    }

    /// Ends a channel: its subscribers get what was published before, then a `channel_closed`
    /// message and a normal close. Later handshakes and comments get code 2.
    public func closeChannel(_ id: ChannelID, reason: String = "") async -> Result<Void, Refusal> {
        let code =
            await onIngestLoop { loop in (try? loop.api?.endChannel(id, reason: reason)) ?? .internalError } ?? .internalError
        return code == .success ? .success(()) : .failure(code)
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

        public init(
            channelID: ChannelID, userID: String, source: Int, biz: String, content: String,
            extJSON: String = "", commentType: String = ""
        ) {
            self.channelID = channelID
            self.userID = userID
            self.source = source
            self.biz = biz
            self.content = content
            self.extJSON = extJSON
            self.commentType = commentType
        }
    }

    /// Publishes a comment to every subscriber of its channel, encoded once, with no spam check
    /// (that is the HTTP API's job). Numbered on the ingest loop, the rings' only producer, and
    /// delivered once the store kept it, like an accepted `sendComment`.
    public func publish(_ draft: CommentDraft) async -> Result<Comment, Refusal> {
        await onIngestLoop(completing: { (loop, done: @escaping (Result<Comment, Refusal>) -> Void) in
            loop.api!.publish(
                channel: draft.channelID, userID: draft.userID, source: draft.source, biz: draft.biz,
                content: draft.content, extJSON: draft.extJSON, commentType: draft.commentType, completion: done)
        }) ?? .failure(.internalError)
    }

    /// Runs `body` on the ingest loop and suspends until it has; nil when the gateway is not
    /// running. No thread waits: the loop resumes the caller.
    private func onIngestLoop<T: Sendable>(_ body: @escaping @Sendable (EventLoop) -> T) async -> T? {
        await onIngestLoop(completing: { loop, done in done(body(loop)) })
    }

    /// Runs `body` on the ingest loop and suspends until it calls its completion, now or
    /// after a store round trip; nil when the gateway is not running.
    private func onIngestLoop<T: Sendable>(
        completing body: @escaping @Sendable (EventLoop, @escaping (T) -> Void) -> Void
    ) async -> T? {
        await withCheckedContinuation { (continuation: CheckedContinuation<T?, Never>) in
            let sent: Bool = state.withLock { state in
                guard case .running(_, let ingest, _, _) = state else { return false }
                ingest.send(.run { loop in body(loop) { continuation.resume(returning: $0) } })
                return true
            }
            if !sent { continuation.resume(returning: nil) }
        }
    }

    /// Opens `openChannels` that no store knows yet, then closes their journal batch (so a
    /// failure to keep them is logged here and never answered to the next call).
    private func adoptChannelsToOpen(_ api: LiveAPI) {
        guard !channelsToOpen.isEmpty else { return }
        for id in channelsToOpen { _ = try? api.adoptChannel(id) }
        api.journal.whenDurable { [logger] kept in
            if !kept { logger.error("the channels to open could not be kept by the store") }
        }
    }

    // MARK: - Store

    /// With `cluster.redis_url` set: where Redis is, and what it keeps, read before any loop runs.
    private func loadCluster() throws -> (endpoint: RedisEndpoint, bootstrap: RedisBootstrap)? {
        let settings = configuration.cluster
        guard settings.isEnabled else { return nil }
        guard let endpoint = RedisEndpoint(url: settings.redisURL) else {
            throw GatewayError.configuration(
                ConfigurationError(key: "cluster.redis_url", problem: "\(settings.redisURL) is not redis://host[:port][/db]"))
        }
        let bootstrap = try RedisBootstrap.load(
            endpoint, keys: ClusterKeys(cluster: settings.name), timeout: settings.commandTimeout, now: wallClockMilliseconds())
        return (endpoint, bootstrap)
    }

    /// Opens the durable store and reads what it kept. Runs in `start()`, before any loop.
    private func openStore() throws -> ((any DurableStore)?, [StoredChannel], [UserBan]) {
        let settings = configuration.store
        do {
            let store: any DurableStore =
                settings.kind == .memory ? MemoryHistoryStore(retention: settings.retention) : try SQLiteStore(settings: settings)
            return (store, try store.load(), try store.loadBans(now: wallClockMilliseconds()))
        } catch {
            throw GatewayError.store("\(error)")
        }
    }

    // MARK: - Observing

    /// Comments refused with code 303 so far, by rule name (`banned_word`, `contact`, ...).
    public func spamRefusals() async -> [String: Int] {
        await onIngestLoop { loop in
            Dictionary(uniqueKeysWithValues: (loop.api?.spam.refusals ?? [:]).map { ($0.key.rawValue, $0.value) })
        } ?? [:]
    }

    /// Open TCP connections on the WebSocket port, over every worker loop.
    public var connectionCount: Int { loopStatistics.reduce(0) { $0 + $1.connections } }

    /// Numbers per worker loop, for tests and metrics.
    public struct LoopStatistics: Sendable, Equatable {
        public var connections: Int
        public var accepted: Int
        public var subscribers: Int
        public var delivered: Int
        /// Sends of more than one frame in one write.
        public var coalescedWrites: Int
        /// Write system calls to sockets (tried or queued).
        public var writeCalls: Int
        /// Rounds of ring draining.
        public var drains: Int
        public var gaps: Int
        public var slowConsumerActions: Int
        /// Connections answered 503 over `ws.max_connections`.
        public var refusedConnections: Int
        /// Times accepting paused for want of file descriptors.
        public var acceptPauses: Int

        init(_ counters: LoopCounters) {
            connections = counters.connections.load(ordering: .relaxed)
            accepted = counters.accepted.load(ordering: .relaxed)
            subscribers = counters.subscribers.load(ordering: .relaxed)
            delivered = counters.delivered.load(ordering: .relaxed)
            coalescedWrites = counters.coalescedWrites.load(ordering: .relaxed)
            writeCalls = counters.writeCalls.load(ordering: .relaxed)
            drains = counters.drains.load(ordering: .relaxed)
            gaps = counters.gaps.load(ordering: .relaxed)
            slowConsumerActions = counters.slowConsumerActions.load(ordering: .relaxed)
            refusedConnections = counters.refusedConnections.load(ordering: .relaxed)
            acceptPauses = counters.acceptPauses.load(ordering: .relaxed)
        }
    }

    /// The worker loops' numbers, one entry per worker.
    public var loopStatistics: [LoopStatistics] {
        state.withLock { state in
            guard case .running(let workers, _, _, _) = state else { return [] }
            return workers.map { LoopStatistics($0.counters) }
        }
    }

    /// The ingest (HTTP API) loop's numbers: its connections are API connections.
    public var ingestStatistics: LoopStatistics? {
        state.withLock { state in
            guard case .running(_, let ingest, _, _) = state else { return nil }
            return LoopStatistics(ingest.counters)
        }
    }
}

public enum GatewayError: Error, CustomStringConvertible {
    case alreadyStarted
    case dictionary(path: String, reason: String)
    case configuration(ConfigurationError)
    /// The store cannot be opened or read: the file, and why.
    case store(String)

    public var description: String {
        switch self {
        case .alreadyStarted: return "the gateway was already started"
        case .dictionary(let path, let reason):
            return "cannot read the banned-word dictionary \(path) (spam.banned_words_file): \(reason)"
        case .configuration(let error): return error.description
        case .store(let problem): return problem
        }
    }
}
