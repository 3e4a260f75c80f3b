import CLibUV
import WliveCodec
import WliveProtocol

/// The frames of one queued write, kept alive until libuv's callback.
private final class QueuedFrames {
    let frames: [SharedFrame]
    init(_ frames: [SharedFrame]) { self.frames = frames }
}

extension Connection {
    /// Writes a frame if the connection is open for data (not after our close frame).
    func write(_ frame: SharedFrame) {
        guard phase == .open else { return }
        send([frame])
    }

    /// Encodes and writes one Wlive message as a text frame.
    func write(_ message: ServerMessage) {
        write(SharedFrame(opcode: .text, payload: message.encoded()))
    }

    /// Writes our close frame.
    func writeClose(_ code: WebSocketCloseCode, reason: String) {
        send([SharedFrame(opcode: .close, payload: WebSocketFrameEncoder.closePayload(code: code, reason: reason))])
    }

    /// Writes raw bytes (an HTTP response) whatever the phase, unless closed.
    func sendRaw(_ bytes: [UInt8]) {
        send([SharedFrame(wireBytes: bytes)])
    }

    /// Delivers channel messages: all of them in one write, unless the reader is too far behind,
    /// where the `fanout.slow_consumer_policy` decides. Returns whether they were written.
    /// `buffers` are the frames' `uv_buf_t`s, built once per batch and shared by every subscriber.
    @discardableResult
    func deliver(_ frames: [SharedFrame], buffers: [uv_buf_t]) -> Bool {
        guard phase == .open, !frames.isEmpty else { return false }
        if uv_stream_get_write_queue_size(stream) > loop.context.configuration.maxPendingBytes {
            loop.counters.slowConsumerActions.add(1, ordering: .relaxed)
            switch loop.context.configuration.slowConsumerPolicy {
            case .disconnect:
                // The close frame queues behind everything else; linger ends it if it never drains.
                fail(.tryAgainLater, reason: "reader too slow")
            case .skip:
                skippedMessages += UInt64(frames.count)
            }
            return false
        }
        if skippedMessages > 0, let channel {
            let gap = ServerMessage.gap(channelID: channel.id, missed: skippedMessages, time: wallClockMilliseconds())
            skippedMessages = 0
            loop.counters.gaps.add(1, ordering: .relaxed)
            send([SharedFrame(opcode: .text, payload: gap.encoded())] + frames)
        } else {
            send(frames, buffers: buffers)
        }
        return true
    }

    /// The `uv_buf_t`s that point at `frames`' bytes.
    static func buffers(for frames: [SharedFrame]) -> [uv_buf_t] {
        frames.map { frame in
            uv_buf_init(UnsafeMutableRawPointer(mutating: frame.bytes.baseAddress!).assumingMemoryBound(to: CChar.self), UInt32(frame.count))
        }
    }

    /// Writes the frames' bytes zero-copy, all in one system call where possible: tries
    /// `uv_try_write` at once when nothing is queued, and queues what is left with one
    /// `uv_write` of several buffers, keeping the frames retained until libuv is done.
    func send(_ frames: [SharedFrame], buffers precomputed: [uv_buf_t]? = nil) {
        guard phase != .closed, phase != .lingering, !frames.isEmpty else { return }
        // Shared with other subscribers: only copied if a partial write has to adjust it.
        var buffers = precomputed ?? Self.buffers(for: frames)
        var first = 0
        if frames.count > 1 { loop.counters.coalescedWrites.add(1, ordering: .relaxed) }
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
        request.pointee.data = Unmanaged.passRetained(QueuedFrames(frames)).toOpaque()
        writesInFlight += 1
        let status = buffers[first...].withUnsafeBufferPointer { pending in
            uv_write(request, stream, pending.baseAddress, UInt32(pending.count)) { request, status in
                Unmanaged<QueuedFrames>.fromOpaque(request!.pointee.data).release()
                let stream = request!.pointee.handle!
                request!.deallocate()
                // Callbacks for cancelled writes run before the close callback, so the
                // connection is still retained by the handle here.
                let connection = Connection.from(stream.pointee.data)
                connection.writesInFlight -= 1
                if status < 0 { connection.abort() }
            }
        }
        guard status == 0 else {
            writesInFlight -= 1
            Unmanaged<QueuedFrames>.fromOpaque(request.pointee.data).release()
            request.deallocate()
            abort()
            return
        }
    }
}
