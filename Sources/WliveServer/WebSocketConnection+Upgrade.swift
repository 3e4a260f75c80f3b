import WliveAPI
import WliveCodec
import WliveDeflate
import WliveProtocol

extension WebSocketConnection {
    /// Bytes of the HTTP upgrade request: a WebSocket port answers exactly one request.
    func receiveRequestBytes(_ bytes: UnsafeRawBufferPointer) {
        guard let parser = requestParser else { return }
        let output = parser.parse(bytes)
        if let request = output.requests.first {
            upgrade(request, leftover: output.upgradeLeftover ?? [])
        } else if let error = output.error, phase == .http {
            respondAndClose(.error(error.status, error.reason))
        }
    }

    private func upgrade(_ request: HTTPRequest, leftover: [UInt8]) {
        let configuration = loop.context.configuration
        if request.path == Self.eventStreamPath, !request.isUpgrade {
            beginEventStream(request)
            return
        }
        let isEcho = configuration.echoPath.map { request.path == $0 } ?? false
        guard request.path == configuration.webSocketPath || isEcho else {
            respondAndClose(.error(404, "no WebSocket endpoint at \(request.path)"))
            return
        }
        switch WebSocketUpgrade.respond(to: request, allowedOrigins: loop.context.allowedOrigins) {
        case .failure(let rejection):
            respondAndClose(rejection.response)
        case .success(var response):
            if configuration.permessageDeflate,
                let agreed = PerMessageDeflate.negotiate(offers: request.values(of: "Sec-WebSocket-Extensions"))
            {
                response.headers.append(("Sec-WebSocket-Extensions", agreed.responseHeader))
                deflate = agreed
                decoder.acceptsCompressedFrames = true
            }
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
                        query: request.query.isEmpty ? [:] : RequestFields.parseURLEncoded(request.query)))
            }
            scheduleTimer()
            if !leftover.isEmpty {
                let used = leftover.withUnsafeBytes { receiveFrames($0) }
                if phase == .open || phase == .closeSent { unparsed = Array(leftover[used...]) }
            }
        }
    }

}
