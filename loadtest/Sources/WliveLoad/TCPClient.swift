import CLibUV
import Foundation
import WliveServer  // cast and uvEAGAIN, the gateway's libuv helpers

/// A client TCP connection on a `LoadLoop`: connects (from a chosen source address), writes, and
/// hands what it reads to its subclass. It owns its `uv_tcp_t`; the handle's `data` holds the
/// client retained until the close callback, so libuv never calls into a freed object.
class TCPClient {
    unowned let loop: LoadLoop
    let handle: UnsafeMutablePointer<uv_tcp_t>
    private let connectRequest: UnsafeMutablePointer<uv_connect_t>
    private(set) var isClosed = false
    /// Bytes of an unfinished message, kept between reads.
    var leftover: [UInt8] = []

    init(loop: LoadLoop) {
        self.loop = loop
        handle = .allocate(capacity: 1)
        connectRequest = .allocate(capacity: 1)
        // The socket is made now (not lazily at bind or connect), so options can be set on it
        // whether or not a source address is bound.
        uv_tcp_init_ex(loop.uv, handle, UInt32(AF_INET))
        handle.pointee.data = Unmanaged.passRetained(self).toOpaque()
        loop.register(self)
    }

    deinit {
        handle.deallocate()
        connectRequest.deallocate()
    }

    private static func from(_ pointer: UnsafeMutableRawPointer!) -> TCPClient {
        Unmanaged<TCPClient>.fromOpaque(pointer).takeUnretainedValue()
    }

    /// Starts connecting to `host:port`, bound first to `source` (port 0) when given, with a
    /// receive buffer of `receiveBuffer` bytes when given (set before the connect, so the
    /// advertised window stays small).
    func connect(host: String, port: Int, source: String?, receiveBuffer: Int32? = nil) {
        var target = sockaddr_in()
        guard uv_ip4_addr(host, Int32(port), &target) == 0 else { return fail("bad address \(host)") }
        if let source, source != "0.0.0.0" {
            var local = sockaddr_in()
            uv_ip4_addr(source, 0, &local)
            let bound = withUnsafePointer(to: &local) {
                $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { uv_tcp_bind(handle, $0, 0) }
            }
            guard bound == 0 else { return fail("bind \(source): \(String(cString: uv_strerror(bound)))") }
        }
        if var size = receiveBuffer { uv_recv_buffer_size(cast(handle, to: uv_handle_t.self), &size) }
        uv_tcp_nodelay(handle, 1)
        connectRequest.pointee.data = handle.pointee.data
        let status = withUnsafePointer(to: &target) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                uv_tcp_connect(connectRequest, handle, $0) { request, status in
                    let client = TCPClient.from(request!.pointee.data)
                    guard !client.isClosed else { return }
                    guard status == 0 else { return client.fail("connect: \(String(cString: uv_strerror(status)))") }
                    client.startReading()
                    client.didConnect()
                }
            }
        }
        if status != 0 { fail("connect: \(String(cString: uv_strerror(status)))") }
    }

    private func startReading() {
        uv_read_start(
            cast(handle, to: uv_stream_t.self),
            { handle, _, buffer in
                let loop = LoadLoop.from(handle!.pointee.loop)
                buffer!.pointee = uv_buf_init(
                    loop.readBuffer.baseAddress!.assumingMemoryBound(to: CChar.self), UInt32(loop.readBuffer.count))
            },
            { stream, count, _ in
                let client = TCPClient.from(stream!.pointee.data)
                guard count > 0 else {
                    if count < 0 {
                        client.fail(count == Int(UV_EOF.rawValue) ? "closed by peer" : String(cString: uv_strerror(Int32(count))))
                    }
                    return
                }
                let fresh = UnsafeRawBufferPointer(start: client.loop.readBuffer.baseAddress, count: count)
                if client.leftover.isEmpty {
                    let used = client.didRead(fresh)
                    if used < count, !client.isClosed { client.leftover = Array(fresh[used...]) }
                } else {
                    client.leftover.append(contentsOf: fresh)
                    let used = client.leftover.withUnsafeBytes { client.didRead($0) }
                    if !client.isClosed { client.leftover.removeFirst(min(used, client.leftover.count)) }
                }
            })
    }

    /// Whether the peer has closed its side (TCP state CLOSE_WAIT or CLOSE), read from the socket
    /// without reading its data: how a client that stopped reading learns it was dropped.
    var peerHasClosed: Bool {
        var descriptor: uv_os_fd_t = -1
        guard !isClosed, uv_fileno(cast(handle, to: uv_handle_t.self), &descriptor) == 0 else { return isClosed }
        var info = [UInt8](repeating: 0, count: 256)
        var length = socklen_t(info.count)
        // struct tcp_info starts with tcpi_state; 8 is TCP_CLOSE_WAIT, 7 TCP_CLOSE.
        guard getsockopt(descriptor, Int32(IPPROTO_TCP), TCP_INFO, &info, &length) == 0 else { return false }
        return info[0] == 8 || info[0] == 7
    }

    /// Stops reading: the socket's receive buffer fills and the server sees a slow reader.
    func stopReading() { uv_read_stop(cast(handle, to: uv_stream_t.self)) }

    /// Writes `bytes`, trying a direct write first and queueing whatever the socket did not take.
    func write(_ bytes: [UInt8]) {
        guard !isClosed, !bytes.isEmpty else { return }
        let stream = cast(handle, to: uv_stream_t.self)
        let written = bytes.withUnsafeBufferPointer { pointer -> Int32 in
            var buffer = uv_buf_init(
                UnsafeMutableRawPointer(mutating: pointer.baseAddress!).assumingMemoryBound(to: CChar.self), UInt32(pointer.count)
            )
            return uv_try_write(stream, &buffer, 1)
        }
        let done = written > 0 ? Int(written) : 0
        guard done < bytes.count else { return }
        if written < 0, written != uvEAGAIN {
            return fail("write: \(String(cString: uv_strerror(written)))")
        }
        let rest = bytes.count - done
        let memory = UnsafeMutableRawPointer.allocate(byteCount: rest, alignment: 1)
        bytes.withUnsafeBytes { memory.copyMemory(from: $0.baseAddress! + done, byteCount: rest) }
        let request = UnsafeMutablePointer<uv_write_t>.allocate(capacity: 1)
        request.pointee.data = memory
        var buffer = uv_buf_init(memory.assumingMemoryBound(to: CChar.self), UInt32(rest))
        uv_write(request, stream, &buffer, 1) { request, _ in
            request!.pointee.data.deallocate()
            request!.deallocate()
        }
    }

    /// Closes the connection (once); `didClose` follows at once.
    func close() { end(reason: nil) }

    /// Ends the connection because of `reason`.
    func fail(_ reason: String) { end(reason: reason) }

    private func end(reason: String?) {
        guard !isClosed else { return }
        isClosed = true
        didClose(reason: reason)
        uv_close(cast(handle, to: uv_handle_t.self)) { handle in
            let client = Unmanaged<TCPClient>.fromOpaque(handle!.pointee.data)
            client.takeUnretainedValue().loop.unregister(client.takeUnretainedValue())
            client.release()
        }
    }

    // For subclasses.
    func didConnect() {}
    /// Consumes bytes and returns how many it used; the rest comes back with the next read.
    func didRead(_ bytes: UnsafeRawBufferPointer) -> Int { bytes.count }
    /// The connection ended: `reason` nil when this side closed it.
    func didClose(reason: String?) {}
}
