import CLibUV

/// A listening TCP socket on one loop. Every loop binds its own socket to the same port with
/// `SO_REUSEPORT`, and the kernel spreads incoming connections over them: no hand-off between
/// threads, and a loop that is busy simply accepts less.
final class Listener {
    let handle: UnsafeMutablePointer<uv_tcp_t>
    unowned let loop: EventLoop
    /// What accepted sockets on this listener speak.
    let kind: Connection.Kind

    /// Binds and listens; on return the port is bound (so `port` is known even when 0 was asked).
    init(loop: EventLoop, host: String, port: Int, kind: Connection.Kind, backlog: Int32 = 4096) throws(LibUVError) {
        self.loop = loop
        self.kind = kind
        handle = .allocate(capacity: 1)
        let address = try SocketAddress(host: host, port: port)
        do {
            try check(uv_tcp_init_ex(loop.uv, handle, UInt32(address.family)), "uv_tcp_init_ex")
        } catch {
            handle.deallocate()
            throw error
        }
        handle.pointee.data = Unmanaged.passRetained(self).toOpaque()
        do {
            var fd: uv_os_fd_t = -1
            try check(uv_fileno(cast(handle, to: uv_handle_t.self), &fd), "uv_fileno")
            var on: Int32 = 1
            setsockopt(fd, SOL_SOCKET, SO_REUSEPORT, &on, socklen_t(MemoryLayout<Int32>.size))
            let bound = address.withSockaddr { uv_tcp_bind(handle, $0, 0) }
            try check(bound, "bind \(host):\(port)")
            try check(uv_listen(cast(handle, to: uv_stream_t.self), backlog) { server, status in
                guard status >= 0, let server else { return }
                let listener = Unmanaged<Listener>.fromOpaque(server.pointee.data).takeUnretainedValue()
                listener.accept()
            }, "listen on \(host):\(port)")
        } catch {
            close()
            throw error
        }
    }

    var port: Int { SocketAddress.boundPort(of: handle) }

    private func accept() {
        let connection = Connection(loop: loop, kind: kind)
        guard uv_accept(cast(handle, to: uv_stream_t.self), connection.stream) == 0 else {
            connection.abort()
            return
        }
        connection.start()
    }

    /// Stops listening; the handle's memory and this object go when libuv has closed it.
    func close() {
        uv_close(cast(handle, to: uv_handle_t.self)) { handle in
            Unmanaged<Listener>.fromOpaque(handle!.pointee.data).release()
            UnsafeMutableRawPointer(handle!).deallocate()
        }
    }
}

#if canImport(Glibc)
import Glibc
#endif
