import CLibUV
import WliveCodec
import WliveEngine
import WliveProtocol

extension WebSocketConnection {
    /// Writes a frame if the connection is open for data (not after our close frame).
    func write(_ frame: SharedFrame) {
        guard phase == .open else { return }
        send(FrameBatch([frame]))
    }

    /// Encodes and writes one Wlive message: a text frame, or an event-stream record.
    func write(_ message: ServerMessage) {
        write(encoded(message))
    }

    /// The bytes that carry `message` on this connection.
    func encoded(_ message: ServerMessage) -> SharedFrame {
        isEventStream ? eventRecord(message) : SharedFrame(message)
    }

    /// Writes our close frame.
    func writeClose(_ code: WebSocketCloseCode, reason: String) {
        loop.counters.countClose(Int(code.rawValue))
        closeCounted = true
        send(FrameBatch([SharedFrame(opcode: .close, payload: WebSocketFrameEncoder.closePayload(code: code, reason: reason))]))
    }

    /// Writes a fan-out batch, after `gap` when there is one; returns whether part of it is
    /// still in flight. The batch's I/O vectors are built once and shared by every subscriber.
    func write(_ batch: FanOutBatch, gap: ServerMessage?) -> Bool {
        guard phase == .open else { return false }
        let frames: FrameBatch
        if let gap {
            frames = FrameBatch([encoded(gap)] + batch.messages.map(frame(for:)))
        } else if let encoding = sharedEncoding {
            if let shared = batch.transportCache(for: encoding) as? FrameBatch {
                frames = shared
            } else {
                frames = FrameBatch(batch.messages.map(frame(for:)))
                batch.setTransportCache(frames, for: encoding)
            }
        } else {
            frames = FrameBatch(batch.messages.map(frame(for:)))
        }
        send(frames)
        if loop.counters.latency != nil {
            loop.latencyRecorder.record(
                now: loop.fanOutClock(), count: batch.messages.count, oldest: batch.oldestPublishedAt,
                newest: batch.newestPublishedAt, publishedSum: batch.publishedAtSum
            ) { batch.messages.map(\.publishedAt) }
        }
        return writesInFlight > 0
    }
}
