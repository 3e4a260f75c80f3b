import CLibUV
import WliveCodec
import WliveEngine
import WliveProtocol

/// Frames that leave in one write, with the `uv_buf_t`s pointing at their bytes.
///
/// A fan-out batch is built once per channel and shared by every subscriber it goes to; a
/// queued write retains it until libuv's callback, so the frames stay alive zero-copy.
final class FrameBatch {
    let frames: [SharedFrame]
    let buffers: [uv_buf_t]
    let byteCount: Int

    init(_ frames: [SharedFrame]) {
        self.frames = frames
        byteCount = frames.reduce(0) { $0 + $1.count }
        buffers = frames.map { frame in
            uv_buf_init(
                UnsafeMutableRawPointer(mutating: frame.bytes.baseAddress!).assumingMemoryBound(to: CChar.self),
                UInt32(frame.count))
        }
    }
}

extension Connection {
    /// Writes raw bytes (an HTTP response) whatever the phase, unless closed.
    func sendRaw(_ bytes: [UInt8]) {
        send(FrameBatch([SharedFrame(wireBytes: bytes)]))
    }

    /// Writes the frames' bytes zero-copy, all in one system call where possible: tries
    /// `uv_try_write` at once when nothing is queued, and queues what is left with one
    /// `uv_write` of several buffers, keeping the batch retained until libuv is done.
    func send(_ batch: FrameBatch) {
        guard phase != .closed, phase != .lingering, !batch.frames.isEmpty else { return }
        // Shared with other subscribers: only copied if a partial write has to adjust it.
        var buffers = batch.buffers
        var first = 0
        if batch.frames.count > 1 { loop.counters.coalescedWrites.add(1, ordering: .relaxed) }
        loop.unflushedBytes += batch.byteCount
        if writesInFlight == 0 {
            loop.counters.writeCalls.add(1, ordering: .relaxed)
            let written = buffers.withUnsafeBufferPointer { uv_try_write(stream, $0.baseAddress, UInt32($0.count)) }
            if written < 0, written != uvEAGAIN {
                abort()
                return
            }
            var left = Int(max(written, 0))
            // Skip what the kernel took: whole buffers, then the front of a partial one.
            while first < buffers.count, left >= Int(buffers[first].len) {
                left -= Int(buffers[first].len)
                first += 1
            }
            if first == buffers.count { return }
            if left > 0 {
                buffers[first].base += left
                buffers[first].len -= type(of: buffers[first].len).init(left)
            }
        }
        loop.counters.writeCalls.add(1, ordering: .relaxed)
        let request = UnsafeMutablePointer<uv_write_t>.allocate(capacity: 1)
        request.pointee.data = Unmanaged.passRetained(batch).toOpaque()
        writesInFlight += 1
        let status = buffers[first...].withUnsafeBufferPointer { pending in
            uv_write(request, stream, pending.baseAddress, UInt32(pending.count)) { request, status in
                Unmanaged<FrameBatch>.fromOpaque(request!.pointee.data).release()
                let stream = request!.pointee.handle!
                request!.deallocate()
                // Callbacks for cancelled writes run before the close callback, so the
                // connection is still retained by the handle here.
                let connection = Connection.from(stream.pointee.data)
                connection.writesInFlight -= 1
                if status < 0 { connection.abort() } else { connection.writeCompleted() }
            }
        }
        guard status == 0 else {
            writesInFlight -= 1
            Unmanaged<FrameBatch>.fromOpaque(request.pointee.data).release()
            request.deallocate()
            abort()
            return
        }
    }
}
