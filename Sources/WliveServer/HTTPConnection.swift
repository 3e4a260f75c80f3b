import WliveAPI
import WliveCodec

/// A connection on the HTTP API port or the admin port: keep-alive requests, pipelined ones
/// too, handed to the port's responder and answered in request order whatever order the
/// answers complete in, until the client, a `Connection: close` or a timeout ends it.
final class HTTPConnection: Connection {
    /// Who answers: the live API or the admin routes.
    let responder: any HTTPResponder
    /// Parsed requests not handed to the responder yet, served in order as the peer reads the answers.
    var pendingRequests: [HTTPRequest] = []
    /// A parse error to answer once the requests before it are answered.
    var pendingParseError: HTTPParseError?
    /// Answers of requests handed to the responder that have not left yet, in request order.
    var answers = AnswerQueue()

    /// Answers one connection may await at once: a pipelining client cannot queue more work.
    static let maxAnswersAwaited = 32
    /// Whether `serveQueuedRequests` is handing requests out (answers may complete inside it).
    private var isDispatching = false
    /// Answers ready while the loop gathers them (`EventLoop.gatheringAnswers`), to leave in one write.
    var gatheredAnswers: [SharedFrame] = []

    /// On the API port, `GET /live/stream` is handed to a viewer loop as an event stream.
    private func isEventStream(_ request: HTTPRequest) -> Bool {
        request.path == WebSocketConnection.eventStreamPath && responder is LiveAPI
    }

    /// Every answer so far has left: none awaited, gathered or in flight.
    private var hasNothingOutstanding: Bool { answers.isEmpty && gatheredAnswers.isEmpty && writesInFlight == 0 }

    init(loop: EventLoop, responder: any HTTPResponder) {
        self.responder = responder
        super.init(loop: loop, pendingBytesLimit: loop.context.configuration.apiMaxPendingBytes)
    }

    func start() {
        start(requestLimits: loop.context.apiRequestLimits, requestTimeout: loop.context.configuration.apiRequestTimeout)
    }

    override func receive(_ bytes: UnsafeRawBufferPointer) {
        guard phase == .http, let parser = requestParser else { return }
        let output = parser.parse(bytes)
        pendingRequests += output.requests
        if let error = output.error { pendingParseError = error }
        serveQueuedRequests()
    }

    override var hasWaitingRequests: Bool { !pendingRequests.isEmpty }

    /// Writes the answers gathered so far, in one write.
    func sendGatheredAnswers() {
        guard !gatheredAnswers.isEmpty else { return }
        let frames = gatheredAnswers
        gatheredAnswers = []
        send(FrameBatch(frames))
    }

    // With no request half-read, a timeout closes quietly (408 is for a request that did not
    // finish arriving).
    override var isIdleBetweenRequests: Bool { requestParser?.isInsideRequest == false }

    override func writeFinished() { serveWaitingRequests() }

    /// An answer still to come (a held long-poll) means the connection is not idle: the API
    /// bounds that wait (`poll.max_wait`), so the idle clock starts again instead.
    override func idleTimedOut() {
        guard !answers.isEmpty else { return super.idleTimedOut() }
        lifecycle.requestsAnswered(
            now: loop.currentTick, idleTimeout: EventLoop.ticks(loop.context.configuration.apiRequestTimeout))
    }

    /// The loop sent what it gathered: requests that waited for it (an event stream) go on.
    func serveWaitingRequestsAfterGathering() { serveWaitingRequests() }

    /// Room was freed (a write finished, an answer left): the requests that waited for it go on.
    private func serveWaitingRequests() {
        if !pendingRequests.isEmpty || pendingParseError != nil { serveQueuedRequests() }
    }

    override func releaseState() {
        super.releaseState()
        pendingRequests = []
        pendingParseError = nil
        answers.removeAll()
        gatheredAnswers = []
    }

    /// Hands queued requests to the responder, in order (pipelined ones included). It answers
    /// each through a completion, now or after a round trip; `answered` keeps the answers in
    /// request order. Dispatching stops while the peer has more than its limit of answers unread
    /// or `maxAnswersAwaited` are still awaited, and goes on as those drain.
    func serveQueuedRequests() {
        isDispatching = true
        defer { isDispatching = false }
        var dispatched = 0
        while dispatched < pendingRequests.count, phase == .http, unsentBytes <= pendingBytesLimit,
            answers.count < Self.maxAnswersAwaited
        {
            let request = pendingRequests[dispatched]
            // An event stream takes the socket over: dispatching stops in front of it.
            if isEventStream(request) { break }
            dispatched += 1
            let slot = answers.reserve(closesAfter: !request.keepAlive || request.isUpgrade)
            if request.isUpgrade {
                answered(slot, .error(400, "this is an HTTP port; WebSocket clients connect to the WebSocket port"))
            } else {
                responder.respond(to: request, connectionID: id) { [self] response in answered(slot, response) }
            }
        }
        guard phase == .http else { return }
        pendingRequests.removeFirst(dispatched)
        if let next = pendingRequests.first, isEventStream(next), hasNothingOutstanding {
            // Only once every earlier answer has left; if they left at once, no write callback
            // will come to say so, hence here, after every dispatch.
            handOverEventStream(next)
            return
        }
        if pendingRequests.isEmpty, answers.isEmpty, let error = pendingParseError {
            respondAndClose(.error(error.status, error.reason))
        } else if dispatched > 0 {
            lifecycle.requestsAnswered(
                now: loop.currentTick, idleTimeout: EventLoop.ticks(loop.context.configuration.apiRequestTimeout))
            scheduleTimer()
        }
    }

    /// The answer to the request in `slot` is ready: everything now at the head of the queue
    /// leaves, in request order.
    func answered(_ slot: UInt64, _ response: HTTPResponse) {
        guard phase == .http else { return }
        let (ready, closes) = answers.fill(slot, with: response)
        if loop.gatheredConnections != nil, !closes {
            if gatheredAnswers.isEmpty, !ready.isEmpty { loop.gatheredConnections!.append(self) }
            gatheredAnswers += ready.map { SharedFrame(wireBytes: $0.encoded()) }
        } else {
            sendGatheredAnswers()
            for answer in ready { sendRaw(answer.encoded()) }
        }
        if closes {
            linger()
        } else if !isDispatching, !ready.isEmpty {
            // Answers that completed later (after a store round trip) free places for the
            // requests that waited for `maxAnswersAwaited`, and reading goes on once none wait.
            serveWaitingRequests()
            resumeReadingIfCaughtUp()
        }
    }
}
