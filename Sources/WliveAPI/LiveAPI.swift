import CoreMetrics
import Logging
import WliveCodec
import WliveProtocol
import WliveSpam
import WliveStore

/// The live HTTP API of seed 000: `POST /live/<call>` in, the `{code, message, ...}` envelope out.
///
/// Plain Swift with no I/O: the transport hands it parsed requests and writes what it returns.
/// Confined to one thread (the API loop), like its store and spam filter.
public final class LiveAPI {
    public let settings: APISettings
    public let store: any LiveStore
    /// Where changes and comments go to last; answers that depend on them wait for it.
    public let journal: any StoreJournal
    /// The push tier, through `PollWakingFanOut`: what it is told also wakes long-polls.
    public let fanOut: any LiveFanOut
    public var spam: SpamFilter
    /// The other nodes of a cluster (`cluster.*`); nil on a single node.
    public var replication: (any LiveReplication)?
    let verifier: AuthTokenVerifier
    let adminVerifier: AuthTokenVerifier
    /// The clocks of the room life-cycle (anchor silence, abnormal grace, plan end).
    var roomTimers: RoomTimers
    /// Long-polls (`syncComments`) waiting for a comment.
    var heldPolls = HeldPolls()
    /// Likes per room since its last likes notice.
    var pendingLikes: [ChannelID: Int64] = [:]
    /// Bans in force (until, Unix ms), and per slow-mode room each user's last comment time.
    var bans: [BanKey: Int64] = [:]
    var lastComments: [ChannelID: [String: Int64]] = [:]
    var ids: ChannelIDGenerator
    /// The logger as given; `logger` adds the connection id of the request being answered, so
    /// every line about a request names its connection (built only when a line is logged).
    let baseLogger: Logger
    private var requestConnectionID: String?
    var logger: Logger {
        guard let requestConnectionID else { return baseLogger }
        var logger = baseLogger
        logger[metadataKey: "connection"] = .string(requestConnectionID)
        return logger
    }
    /// Live channels per owner ("source:userid"), and in all, for the channel caps.
    var openChannelsByOwner: [String: Int] = [:]
    var openChannelCount = 0
    /// Channels whose watcher counts changed since the last `flushNotices`.
    private var changedChannels: Set<ChannelID> = []
    /// Wall clock (Unix milliseconds) and a monotonic clock (seconds), injectable for tests.
    let wallClock: @Sendable () -> Int64
    let monotonicClock: @Sendable () -> Double
    private var metrics: APIMetrics?

    public init(
        settings: APISettings, store: any LiveStore, journal: any StoreJournal = InlineJournal(store: MemoryHistoryStore()),
        fanOut: any LiveFanOut, spam: SpamFilter, logger: Logger = Logger(label: "wlive.api"),
        metrics: (any MetricsFactory)? = nil,
        wallClock: @escaping @Sendable () -> Int64, monotonicClock: @escaping @Sendable () -> Double
    ) {
        self.metrics = metrics.map(APIMetrics.init)
        self.settings = settings
        self.store = store
        self.journal = journal
        let waking = PollWakingFanOut(fanOut)
        self.fanOut = waking
        self.spam = spam
        self.baseLogger = logger
        self.wallClock = wallClock
        self.monotonicClock = monotonicClock
        verifier = AuthTokenVerifier(secrets: settings.authSecrets)
        adminVerifier = AuthTokenVerifier(secrets: settings.adminSecrets, purpose: .admin)
        roomTimers = RoomTimers(anchorTimeout: settings.anchorTimeout, abnormalGrace: settings.abnormalGrace)
        ids = ChannelIDGenerator(node: settings.nodeID)
        waking.wake = { [unowned self] in wakePolls($0) }
    }

    /// The calls, by the name in `/live/<name>`; the SDK's misspellings are aliases.
    enum Call: String, CaseIterable {
        case startLive, stopLive, joinLive, leaveLive, retrieveChannel, retrieveWatcherList, sendComment
        case retrieveComments, syncComments
        case pauseLive, resumeLive, anchorHeartbeat, banLive, sendLike
        case deleteComment, banUser, setRoomMode, pinComment, unpinComment

        init?(pathName: Substring) {
            switch pathName {
            case "retriveChannel": self = .retrieveChannel
            case "retriiveWatcherList", "retriveWatcherList": self = .retrieveWatcherList
            default: self.init(rawValue: String(pathName))
            }
        }
    }

    /// Answers one request through `completion`, which runs once, on the API's loop: at once,
    /// or once what the call changed is durable, or after a store read. The transport keeps the
    /// answers of one connection in request order whatever order they complete in.
    public func respond(to request: HTTPRequest, connectionID: String, completion: @escaping (HTTPResponse) -> Void) {
        requestConnectionID = connectionID
        defer { requestConnectionID = nil }
        let started = metrics == nil ? 0 : monotonicClock()
        answer(request) { [self] call, code, response in
            if metrics != nil {
                metrics!.answered(
                    call: call?.rawValue ?? "unknown", status: response.status, code: code?.rawValue,
                    nanoseconds: Int64((monotonicClock() - started) * 1e9))
            }
            completion(response)
        }
    }

    /// Answers one request that completes at once: every call over a journal that writes
    /// through (`InlineJournal`, the tests' and the memory store's).
    public func respond(to request: HTTPRequest) -> HTTPResponse {
        var answered: HTTPResponse?
        respond(to: request, connectionID: "-") { answered = $0 }
        guard let answered else { preconditionFailure("respond(to:) needs a journal that completes at once") }
        return answered
    }

    private func answer(_ request: HTTPRequest, _ completion: @escaping (Call?, WliveResultCode?, HTTPResponse) -> Void) {
        let path = request.path
        guard path.hasPrefix("/live/"), let call = Call(pathName: path.dropFirst("/live/".count)) else {
            return completion(nil, nil, .error(404, "no API call at \(path)"))
        }
        guard request.method == "POST" || request.method == "GET" else {
            var refusal = HTTPResponse.error(405, "use POST (or GET)", headers: [("Allow", "GET, POST")])
            // An answer to HEAD has no body (RFC 9110 section 9.3.2).
            if request.method == "HEAD" { refusal.body = [] }
            return completion(call, nil, refusal)
        }
        let keepAlive = request.keepAlive
        let http10KeepAlive = request.versionMinor == 0 && request.keepAlive
        let reply: (APIReply) -> Void = { reply in
            var response = reply.httpResponse(keepAlive: keepAlive)
            if http10KeepAlive { response.headers.append(("Connection", "keep-alive")) }
            completion(call, reply.code, response)
        }
        do {
            handle(call, try RequestFields.from(request), answer: reply)
        } catch {
            reply(.failure(.invalidParameter, error.message))
        }
    }

    /// Runs a call. A call that changed something answers once the change is durable, and
    /// with code 100 (and nothing acknowledged) when it could not be made so.
    func handle(_ call: Call, _ fields: RequestFields, answer: @escaping (APIReply) -> Void) {
        let mark = journal.recordedCount
        let reply: APIReply
        do {
            switch call {
            case .startLive: reply = try startLive(fields)
            case .stopLive: reply = try stopLive(fields)
            case .joinLive: reply = try watch(fields, event: "beginwatch")
            case .leaveLive: reply = try watch(fields, event: "endwatch")
            case .retrieveChannel: reply = try retrieveChannel(fields)
            case .retrieveWatcherList: reply = try retrieveWatcherList(fields)
            case .pauseLive: reply = try pauseLive(fields)
            case .resumeLive: reply = try resumeLive(fields)
            case .anchorHeartbeat: reply = try anchorHeartbeat(fields)
            case .banLive: reply = try banLive(fields)
            case .sendLike: reply = try sendLike(fields)
            case .deleteComment: reply = try deleteComment(fields)
            case .banUser: reply = try banUser(fields)
            case .setRoomMode: reply = try setRoomMode(fields)
            case .unpinComment: reply = try unpinComment(fields)
            case .pinComment: return try pinComment(fields, answer: answer)
            // These answer later: after the store kept the comment, after the store read.
            case .sendComment: return try sendComment(fields, answer: answer)
            case .retrieveComments: return try retrieveComments(fields, answer: answer)
            case .syncComments: return try syncComments(fields, answer: answer)
            }
        } catch let refusal as APIReply {
            reply = refusal
        } catch {
            logger.error("API call failed", metadata: ["call": "\(call.rawValue)", "error": "\(error)"])
            reply = .failure(.internalError)
        }
        guard journal.recordedCount != mark else { return answer(reply) }
        journal.whenDurable { stored in answer(stored ? reply : .storeFailed) }
    }

    /// The once-a-second work: the room clocks, then one online-count notice per channel whose
    /// watchers changed and one likes notice per channel liked since the last.
    public func flushNotices() {
        tickRooms()
        announcePresence()
        expirePolls()
        flushLikes()
        pruneSlowMode(now: wallClock())
        guard !changedChannels.isEmpty else { return }
        for id in changedChannels {
            guard let channel = try? store.channel(id), !channel.state.isFinal else { continue }
            fanOut.announceWatchers(channel: id, online: channel.onlineCount, total: channel.totalCount)
        }
        changedChannels.removeAll(keepingCapacity: true)
    }

    func watchersChanged(_ id: ChannelID) { changedChannels.insert(id) }

    /// Long-polls held now, for the operator.
    public var heldPollCount: Int { heldPolls.count }

    /// Replaces the banned-word dictionary (SIGHUP); connections and history are kept.
    public func replaceDictionary(_ dictionary: BannedWordDictionary) {
        spam.replaceDictionary(dictionary)
    }
}
