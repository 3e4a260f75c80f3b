import CLibUV
import Foundation
import Glibc
import WliveAPI
import WliveCodec
import WliveEngine
import WliveProtocol

/// A viewer on Server-Sent Events (`GET /live/stream`) instead of a WebSocket: the same session,
/// subscription, resume, heartbeats and slow-reader policy, written as `text/event-stream`
/// records. The handshake comes from the query string (and `Last-Event-ID`); the client sends
/// nothing after its request, so silence never counts against it, and the stream ends when the
/// server closes the TCP connection.
extension WebSocketConnection {
    /// The path of the stream, on the HTTP API port (handed over here) and on the WebSocket port.
    static let eventStreamPath = "/live/stream"

    /// Starts serving `request` as an event stream on a socket this loop just adopted.
    func startEventStream(_ request: HTTPRequest) {
        start()
        beginEventStream(request)
    }

    /// Becomes an event stream for `request`: the Wlive handshake built from its query.
    func beginEventStream(_ request: HTTPRequest) {
        guard request.method == "GET" || request.method == "HEAD" else {
            respondAndClose(.error(405, "the event stream needs GET", headers: [("Allow", "GET")]))
            return
        }
        var query = request.query.isEmpty ? [:] : RequestFields.parseURLEncoded(request.query)
        // EventSource reconnects with the last id it saw: resume right after it.
        if query["since_seq"] == nil, let last = request.value(of: "Last-Event-ID")?.trimmingCharacters(in: .whitespaces),
            !last.isEmpty
        {
            query["since_seq"] = last
        }
        isEventStream = true
        requestParser = nil
        lifecycle.upgraded(now: loop.currentTick, handshakeTimeout: nil)
        var session = WliveSession(configuration: loop.context.configuration.session, query: query)
        let action = session.receiveText(Self.handshakeText(query))
        role = .wlive(session)
        scheduleTimer()
        perform(action)
    }

    /// The handshake as the JSON a WebSocket client would send: the query's fields, with the
    /// descriptive client fields a browser's EventSource cannot be expected to fill defaulted.
    static func handshakeText(_ query: [String: String]) -> [UInt8] {
        var fields = [
            "appid": "sse", "sdk_version": "1", "version": "sse", "os_type": "web", "os_version": "-",
            "client_type": "eventsource", "client_version": "1", "device_id": "sse", "device_type": "web",
            "source": "20", "timer_interval": "30",
        ]
        for (name, value) in query { fields[name] = value }
        // channel_id, since_seq and epoch come through the session's query (checked there).
        for name in ["channel_id", "since_seq", "epoch"] { fields[name] = nil }
        var json: [UInt8] = [UInt8(ascii: "{")]
        for (index, (name, value)) in fields.sorted(by: { $0.key < $1.key }).enumerated() {
            if index > 0 { json.append(UInt8(ascii: ",")) }
            JSONObjectWriter.appendQuoted(name, to: &json)
            json.append(UInt8(ascii: ":"))
            JSONObjectWriter.appendQuoted(value, to: &json)
        }
        json.append(UInt8(ascii: "}"))
        return json
    }

    /// The record that carries `message` on an event stream. The acknowledgement opens the
    /// stream, so the response head leaves with it.
    func eventRecord(_ message: ServerMessage) -> SharedFrame {
        var id: UInt64?
        if case .comment(let comment) = message { id = comment.seq }
        let record = message.encoded().withUnsafeBytes { ServerSentEvent.record(json: $0, id: id) }
        guard case .handshakeAccepted = message else { return record }
        return SharedFrame(wireBytes: ServerSentEvent.responseHead + Array(record.bytes))
    }

    /// A refused handshake on an event stream: an HTTP error with the seed's envelope, so that
    /// EventSource stops instead of reconnecting for ever.
    func refuseEventStream(_ code: WliveResultCode, _ text: String) {
        let status =
            switch code {
            case .channelNotFound: 404
            case .channelClosed: 410
            case .notLoggedIn: 401
            case .permissionDenied: 403
            default: 400
            }
        var body = JSONObjectWriter()
        body.field("code", code.rawValue)
        body.field("message", text)
        respondAndClose(
            HTTPResponse(
                status: status, headers: [("Content-Type", "application/json; charset=utf-8"), ("Connection", "close")],
                body: body.finish()))
    }

    /// Ends an event stream: what is queued leaves, then our side of TCP shuts.
    func endEventStream() {
        leaveSubscription()
        linger()
    }
}

extension HTTPConnection {
    /// Hands an event-stream request to a viewer loop: the socket is duplicated, this
    /// connection lets go of it (closing its handle does not touch the duplicate), and the
    /// viewer loop adopts the duplicate and answers the request. Only once every earlier answer
    /// has left, so nothing of this connection's is lost.
    func handOverEventStream(_ request: HTTPRequest) {
        var descriptor: uv_os_fd_t = -1
        guard uv_fileno(cast(handle, to: uv_handle_t.self), &descriptor) == 0 else { return abort() }
        let duplicate = dup(descriptor)
        guard duplicate >= 0 else { return respondAndClose(.error(503, "out of file descriptors")) }
        guard let viewers = loop.nextViewerLoop() else {
            Glibc.close(duplicate)
            return respondAndClose(.error(503, "no viewer loop"))
        }
        abort()
        viewers.send(.run { $0.adoptEventStream(descriptor: duplicate, request: request) })
    }
}

extension EventLoop {
    /// The viewer loop the next handed-over stream goes to, in turn.
    func nextViewerLoop() -> EventLoop? {
        guard let viewers = fanOut?.workers, !viewers.isEmpty else { return nil }
        handOverTurn = (handOverTurn + 1) % viewers.count
        return viewers[handOverTurn]
    }

    /// Takes over a socket handed from the API loop and serves it as an event stream, counted
    /// among `ws.max_connections` like any viewer.
    func adoptEventStream(descriptor: Int32, request: HTTPRequest) {
        let connection = WebSocketConnection(loop: self)
        guard uv_tcp_open(connection.handle, descriptor) == 0 else {
            Glibc.close(descriptor)
            connection.abort()
            return
        }
        guard context.admitConnection() else {
            connection.refuse()
            return
        }
        connection.isAdmitted = true
        connection.startEventStream(request)
    }
}
