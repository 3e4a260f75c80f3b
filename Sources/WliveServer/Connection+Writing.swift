import CLibUV
import WliveCodec
import WliveProtocol

extension Connection {
    /// Writes a frame if the connection is open for data (not after our close frame).
    func write(_ frame: SharedFrame) {
        guard phase == .open else { return }
        send(frame)
    }

    /// Encodes and writes one Wlive message as a text frame.
    func write(_ message: ServerMessage) {
        write(SharedFrame(opcode: .text, payload: message.encoded()))
    }

    /// Writes our close frame.
    func writeClose(_ code: WebSocketCloseCode, reason: String) {
        send(SharedFrame(opcode: .close, payload: WebSocketFrameEncoder.closePayload(code: code, reason: reason)))
    }

    /// Writes raw bytes (an HTTP response) whatever the phase, unless closed.
    func sendRaw(_ bytes: [UInt8]) {
        send(SharedFrame(wireBytes: bytes))
    }

    /// Writes `frame`'s bytes zero-copy: tries the syscall at once when nothing is queued, and
    /// queues the rest with `uv_write`, keeping the frame retained until libuv is done with it.
    func send(_ frame: SharedFrame) {
        guard phase != .closed, phase != .lingering, frame.count > 0 else { return }
        let base = UnsafeMutableRawPointer(mutating: frame.bytes.baseAddress!)
        var start = 0
        if writesInFlight == 0 {
            var buffer = uv_buf_init(base.assumingMemoryBound(to: CChar.self), UInt32(frame.count))
            let written = uv_try_write(stream, &buffer, 1)
            if written == Int32(frame.count) { return }
            if written > 0 {
                start = Int(written)
            } else if written != uvEAGAIN {
                abort()
                return
            }
        }
        let request = UnsafeMutablePointer<uv_write_t>.allocate(capacity: 1)
        request.pointee.data = Unmanaged.passRetained(frame).toOpaque()
        var buffer = uv_buf_init((base + start).assumingMemoryBound(to: CChar.self), UInt32(frame.count - start))
        writesInFlight += 1
        let status = uv_write(request, stream, &buffer, 1) { request, status in
            Unmanaged<SharedFrame>.fromOpaque(request!.pointee.data).release()
            let stream = request!.pointee.handle!
            request!.deallocate()
            // Callbacks for cancelled writes run before the close callback, so the
            // connection is still retained by the handle here.
            let connection = Connection.from(stream.pointee.data)
            connection.writesInFlight -= 1
            if status < 0 { connection.abort() }
        }
        guard status == 0 else {
            writesInFlight -= 1
            Unmanaged<SharedFrame>.fromOpaque(request.pointee.data).release()
            request.deallocate()
            abort()
            return
        }
        if uv_stream_get_write_queue_size(stream) > loop.context.configuration.maxPendingBytes {
            // A reader this far behind would hold unbounded memory: drop it.
            loop.counters.slowConsumersDropped.add(1, ordering: .relaxed)
            abort()
        }
    }
}
