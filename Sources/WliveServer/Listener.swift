import CLibUV
import Logging

/// A listening TCP socket on one loop. Every loop binds its own socket to the same port with
/// `SO_REUSEPORT`, and the kernel spreads incoming connections over them: no hand-off between
/// threads, and a loop that is busy simply accepts less.
///
/// When the process runs out of file descriptors (`EMFILE`, `ENFILE`), libuv reports the
/// failed accept and, unless told otherwise, tries again at once, forever. So the listener
/// closes its socket and listens again after a back-off that doubles up to two seconds,
/// while the loop keeps serving the connections it has; the kernel hands new connections
/// to the loops still listening.
final class Listener {
    unowned let loop: EventLoop
    /// What a port serves: viewers' WebSockets, the live API, or the admin routes.
    enum Kind { case webSocket, api, admin }

    /// What accepted sockets on this listener speak.
    let kind: Kind
    let host: String
    /// The bound port: the one asked for, or the one the kernel picked for 0.
    private(set) var port: Int
    private let backlog: Int32
    /// The listening socket; nil while accepting is paused.
    private var socket: UnsafeMutablePointer<uv_tcp_t>?
    private let retryTimer: UnsafeMutablePointer<uv_timer_t>
    /// Milliseconds of the current back-off; 0 when accepting normally.
    private var retryDelay: UInt64 = 0
    private var isClosed = false

    static let firstRetryMilliseconds: UInt64 = 50
    static let longestRetryMilliseconds: UInt64 = 2000

    /// Binds and listens; on return the port is bound (so `port` is known even when 0 was asked).
    init(loop: EventLoop, host: String, port: Int, kind: Kind, backlog: Int32 = 4096) throws(LibUVError) {
        self.loop = loop
        self.kind = kind
        self.host = host
        self.port = port
        self.backlog = backlog
        retryTimer = .allocate(capacity: 1)
        uv_timer_init(loop.uv, retryTimer)
        retryTimer.pointee.data = Unmanaged.passRetained(self).toOpaque()
        do {
            try listen()
        } catch {
            close()
            throw error
        }
    }

    private func listen() throws(LibUVError) {
        let handle = UnsafeMutablePointer<uv_tcp_t>.allocate(capacity: 1)
        let address = try SocketAddress(host: host, port: port)
        do {
            try check(uv_tcp_init_ex(loop.uv, handle, UInt32(address.family)), "uv_tcp_init_ex")
        } catch {
            handle.deallocate()
            throw error
        }
        handle.pointee.data = Unmanaged.passRetained(self).toOpaque()
        socket = handle
        do {
            var fd: uv_os_fd_t = -1
            try check(uv_fileno(cast(handle, to: uv_handle_t.self), &fd), "uv_fileno")
            var on: Int32 = 1
            // Should this fail, the second loop's bind fails and says so.
            setsockopt(fd, SOL_SOCKET, SO_REUSEPORT, &on, socklen_t(MemoryLayout<Int32>.size))
            let bound = address.withSockaddr { uv_tcp_bind(handle, $0, 0) }
            try check(bound, "bind \(host):\(port)")
            try check(
                uv_listen(cast(handle, to: uv_stream_t.self), backlog) { server, status in
                    guard let server else { return }
                    Unmanaged<Listener>.fromOpaque(server.pointee.data).takeUnretainedValue().connectionArrived(status: status)
                }, "listen on \(host):\(port)")
            port = SocketAddress.boundPort(of: handle)
            if kind == .webSocket { loop.counters.isListening.store(true, ordering: .relaxed) }
        } catch {
            closeSocket()
            throw error
        }
    }

    private func connectionArrived(status: Int32) {
        guard status >= 0 else {
            if status == Int32(UV_EMFILE.rawValue) || status == Int32(UV_ENFILE.rawValue) { pauseAccepting(status) }
            // Anything else (a connection reset before it was accepted) concerns that one peer.
            return
        }
        guard let socket else { return }
        retryDelay = 0
        switch kind {
        case .webSocket:
            let connection = WebSocketConnection(loop: loop)
            guard accept(from: socket, into: connection) else { return }
            if loop.context.admitConnection() {
                connection.isAdmitted = true
                connection.start()
            } else {
                connection.refuse()
            }
        case .api, .admin:
            guard let responder = loop.responder(for: kind) else { return }
            let connection = HTTPConnection(loop: loop, responder: responder)
            guard accept(from: socket, into: connection) else { return }
            connection.start()
        }
    }

    /// Accepts the waiting connection into `connection`'s handle; false (and it is closed) when that failed.
    private func accept(from socket: UnsafeMutablePointer<uv_tcp_t>, into connection: Connection) -> Bool {
        guard uv_accept(cast(socket, to: uv_stream_t.self), connection.stream) == 0 else {
            connection.abort()
            return false
        }
        return true
    }

    /// Out of descriptors: stop listening (which also ends libuv's accept loop) and try again later.
    private func pauseAccepting(_ status: Int32) {
        loop.counters.acceptPauses.add(1, ordering: .relaxed)
        retryDelay = min(max(retryDelay * 2, Self.firstRetryMilliseconds), Self.longestRetryMilliseconds)
        loop.context.logger.warning(
            "out of file descriptors: accepting paused",
            metadata: [
                "port": "\(port)", "error": "\(String(cString: uv_err_name(status)))", "retry_ms": "\(retryDelay)",
            ])
        closeSocket()
        uv_timer_start(
            retryTimer,
            { timer in
                Unmanaged<Listener>.fromOpaque(timer!.pointee.data).takeUnretainedValue().resumeAccepting()
            }, retryDelay, 0)
    }

    private func resumeAccepting() {
        guard !isClosed, socket == nil else { return }
        do {
            try listen()
        } catch {
            // Still no descriptor to listen with: wait longer.
            pauseAccepting(error.code)
        }
    }

    private func closeSocket() {
        guard let handle = socket else { return }
        socket = nil
        if kind == .webSocket { loop.counters.isListening.store(false, ordering: .relaxed) }
        uv_close(cast(handle, to: uv_handle_t.self)) { handle in
            Unmanaged<Listener>.fromOpaque(handle!.pointee.data).release()
            UnsafeMutableRawPointer(handle!).deallocate()
        }
    }

    /// Stops listening for good; the handles' memory and this object go when libuv has closed them.
    func close() {
        guard !isClosed else { return }
        isClosed = true
        closeSocket()
        uv_close(cast(retryTimer, to: uv_handle_t.self)) { handle in
            Unmanaged<Listener>.fromOpaque(handle!.pointee.data).release()
            UnsafeMutableRawPointer(handle!).deallocate()
        }
    }
}
