import WliveAPI
import WliveCodec
import WliveProtocol

extension Connection {
    /// Bytes of the HTTP upgrade request.
    func receiveRequestBytes(_ bytes: UnsafeRawBufferPointer) {
        guard let parser = requestParser else { return }
        let output = parser.parse(bytes)
        switch kind {
        case .api:
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
            phase = .open
            phaseDeadline = .max
            if isEcho {
                role = .echo
            } else {
                role = .wlive(
                    WliveSession(
                        configuration: configuration.session,
                        queryChannelID: RequestFields.parseURLEncoded(request.query)["channel_id"]))
                setPhaseDeadline(afterSeconds: configuration.handshakeTimeout)
            }
            if !leftover.isEmpty {
                let used = leftover.withUnsafeBytes { receiveFrames($0) }
                if phase == .open || phase == .closeSent { unparsed = Array(leftover[used...]) }
            }
        }
    }

    /// Answers queued API requests in order (pipelined ones included), keeping the connection
    /// alive unless a request says otherwise. Stops while the peer has more than
    /// `http.max_pending_bytes` of answers unread, and goes on as it reads them.
    func serveQueuedRequests() {
        guard let api = loop.api else { return }
        var answered = 0
        while answered < pendingRequests.count, phase == .http, unsentBytes <= pendingBytesLimit {
            let request = pendingRequests[answered]
            answered += 1
            if request.isUpgrade {
                respondAndClose(.error(400, "this is the HTTP API port; WebSocket clients connect to the WebSocket port"))
            } else {
                sendRaw(api.respond(to: request).encoded())
                if !request.keepAlive { linger() }
            }
        }
        guard phase == .http else { return }
        pendingRequests.removeFirst(answered)
        if pendingRequests.isEmpty, let error = pendingParseError {
            respondAndClose(.error(error.status, error.reason))
        } else if answered > 0 {
            setPhaseDeadline(afterSeconds: loop.context.configuration.apiRequestTimeout)
        }
    }

    /// Sends an HTTP error and closes once it is flushed.
    func respondAndClose(_ response: HTTPResponse) {
        sendRaw(response.encoded())
        linger()
    }
}
