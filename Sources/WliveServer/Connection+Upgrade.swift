import WliveAPI
import WliveCodec
import WliveProtocol

extension Connection {
    /// Bytes of the HTTP upgrade request.
    func receiveRequestBytes(_ bytes: UnsafeRawBufferPointer) {
        guard let parser = requestParser else { return }
        let output = parser.parse(bytes)
        switch kind {
        case .api, .admin:
            pendingRequests += output.requests
            if let error = output.error { pendingParseError = error }
            serveQueuedRequests()
        case .webSocket:
            // A WebSocket port answers exactly one request: the upgrade.
            if let request = output.requests.first {
                upgrade(request, leftover: output.upgradeLeftover ?? [])
            } else if let error = output.error, phase == .http {
                respondAndClose(.error(error.status, error.reason))
            }
        }
    }

    private func upgrade(_ request: HTTPRequest, leftover: [UInt8]) {
        let configuration = loop.context.configuration
        let isEcho = configuration.echoPath.map { request.path == $0 } ?? false
        guard request.path == configuration.webSocketPath || isEcho else {
            respondAndClose(.error(404, "no WebSocket endpoint at \(request.path)"))
            return
        }
        switch WebSocketUpgrade.respond(to: request, allowedOrigins: loop.context.allowedOrigins) {
        case .failure(let rejection):
            respondAndClose(rejection.response)
        case .success(let response):
            sendRaw(response.encoded())
            requestParser = nil
            lifecycle.upgraded(
                now: loop.currentTick, handshakeTimeout: isEcho ? nil : EventLoop.ticks(configuration.handshakeTimeout))
            if isEcho {
                role = .echo
            } else {
                role = .wlive(
                    WliveSession(
                        configuration: configuration.session,
                        queryChannelID: RequestFields.parseURLEncoded(request.query)["channel_id"]))
            }
            scheduleTimer()
            if !leftover.isEmpty {
                let used = leftover.withUnsafeBytes { receiveFrames($0) }
                if phase == .open || phase == .closeSent { unparsed = Array(leftover[used...]) }
            }
        }
    }

    /// Hands queued API requests to the API, in order (pipelined ones included). The API answers
    /// each through a completion, now or after a round trip; `answered` keeps the answers in
    /// request order. Dispatching stops while the peer has more than `http.max_pending_bytes` of
    /// answers unread or `maxAnswersAwaited` are still awaited, and goes on as those drain.
    func serveQueuedRequests() {
        guard let responder = loop.responder(for: kind) else { return }
        var dispatched = 0
        while dispatched < pendingRequests.count, phase == .http, unsentBytes <= pendingBytesLimit,
            answers.count < Self.maxAnswersAwaited
        {
            let request = pendingRequests[dispatched]
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
        for answer in ready { sendRaw(answer.encoded()) }
        if closes { linger() }
    }

    /// Answers one connection may await at once: a pipelining client cannot queue more work.
    static let maxAnswersAwaited = 32

    /// Sends an HTTP error and closes once it is flushed.
    func respondAndClose(_ response: HTTPResponse) {
        sendRaw(response.encoded())
        linger()
    }
}
