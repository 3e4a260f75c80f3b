import CoreMetrics
import Logging
import WliveCodec
import WliveProtocol
import WliveSpam

/// The live HTTP API of seed 000: `POST /live/<call>` in, the `{code, message, ...}` envelope out.
///
/// Plain Swift with no I/O: the transport hands it parsed requests and writes what it returns.
/// Confined to one thread (the API loop), like its store and spam filter.
public final class LiveAPI {
    public let settings: APISettings
    public let store: any LiveStore
    public let fanOut: any LiveFanOut
    public var spam: SpamFilter
    let verifier: AuthTokenVerifier
    var ids: ChannelIDGenerator
    /// The logger as given, and the one of the request being answered: it adds the request's
    /// connection id, so every line about a request names its connection and channel.
    let baseLogger: Logger
    private(set) var logger: Logger
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
        settings: APISettings, store: any LiveStore, fanOut: any LiveFanOut, spam: SpamFilter,
        logger: Logger = Logger(label: "wlive.api"), metrics: (any MetricsFactory)? = nil,
        wallClock: @escaping @Sendable () -> Int64, monotonicClock: @escaping @Sendable () -> Double
    ) {
        self.metrics = metrics.map(APIMetrics.init)
        self.settings = settings
        self.store = store
        self.fanOut = fanOut
        self.spam = spam
        self.baseLogger = logger
        self.logger = logger
        self.wallClock = wallClock
        self.monotonicClock = monotonicClock
        verifier = AuthTokenVerifier(secrets: settings.authSecrets)
        ids = ChannelIDGenerator(node: settings.nodeID)
    }

    /// The calls, by the name in `/live/<name>`; the SDK's misspellings are aliases.
    enum Call: String, CaseIterable {
        case startLive, stopLive, joinLive, leaveLive, retrieveChannel, retrieveWatcherList, sendComment

        init?(pathName: Substring) {
            switch pathName {
            case "retriveChannel": self = .retrieveChannel
            case "retriiveWatcherList", "retriveWatcherList": self = .retrieveWatcherList
            default: self.init(rawValue: String(pathName))
            }
        }
    }

    /// Answers one request through `completion`, which runs once, on the API's loop: now, or
    /// later for a call that needs a round trip to a store or a bus. The transport keeps the
    /// answers of one connection in request order whatever order they complete in.
    public func respond(to request: HTTPRequest, connectionID: String, completion: @escaping (HTTPResponse) -> Void) {
        logger[metadataKey: "connection"] = .string(connectionID)
        defer { logger = baseLogger }
        // Every call answers at once today; a call with a round trip will keep `completion`.
        completion(respond(to: request))
    }

    /// Answers one request at once (every call today, and the tests).
    public func respond(to request: HTTPRequest) -> HTTPResponse {
        let started = metrics == nil ? 0 : monotonicClock()
        let (call, code, response) = answer(request)
        if metrics != nil {
            metrics!.answered(
                call: call?.rawValue ?? "unknown", status: response.status, code: code?.rawValue,
                nanoseconds: Int64((monotonicClock() - started) * 1e9))
        }
        return response
    }

    private func answer(_ request: HTTPRequest) -> (Call?, WliveResultCode?, HTTPResponse) {
        let path = request.path
        guard path.hasPrefix("/live/"), let call = Call(pathName: path.dropFirst("/live/".count)) else {
            return (nil, nil, .error(404, "no API call at \(path)"))
        }
        guard request.method == "POST" || request.method == "GET" else {
            var refusal = HTTPResponse.error(405, "use POST (or GET)", headers: [("Allow", "GET, POST")])
            // An answer to HEAD has no body (RFC 9110 section 9.3.2).
            if request.method == "HEAD" { refusal.body = [] }
            return (call, nil, refusal)
        }
        let reply: APIReply
        do {
            let fields = try RequestFields.from(request)
            reply = handle(call, fields)
        } catch {
            reply = .failure(.invalidParameter, error.message)
        }
        var response = reply.httpResponse(keepAlive: request.keepAlive)
        if request.versionMinor == 0, request.keepAlive { response.headers.append(("Connection", "keep-alive")) }
        return (call, reply.code, response)
    }

    func handle(_ call: Call, _ fields: RequestFields) -> APIReply {
        do {
            switch call {
            case .startLive: return try startLive(fields)
            case .stopLive: return try stopLive(fields)
            case .joinLive: return try watch(fields, event: "beginwatch")
            case .leaveLive: return try watch(fields, event: "endwatch")
            case .retrieveChannel: return try retrieveChannel(fields)
            case .retrieveWatcherList: return try retrieveWatcherList(fields)
            case .sendComment: return try sendComment(fields)
            }
        } catch let reply as APIReply {
            return reply
        } catch {
            logger.error("API call failed", metadata: ["call": "\(call.rawValue)", "error": "\(error)"])
            return .failure(.internalError)
        }
    }

    /// Sends one online-count notice per channel whose watchers changed; the loop calls it once a second.
    public func flushNotices() {
        guard !changedChannels.isEmpty else { return }
        for id in changedChannels {
            guard let channel = try? store.channel(id), !channel.state.isFinal else { continue }
            fanOut.announceWatchers(channel: id, online: channel.onlineCount, total: channel.totalCount)
        }
        changedChannels.removeAll(keepingCapacity: true)
    }

    func watchersChanged(_ id: ChannelID) { changedChannels.insert(id) }

    /// Replaces the banned-word dictionary (SIGHUP); connections and history are kept.
    public func replaceDictionary(_ dictionary: BannedWordDictionary) {
        spam.replaceDictionary(dictionary)
    }
}
