import CLibUV
import WliveCodec
import WliveEngine
import WliveProtocol

/// The transport side of fan-out: what `FanOutConsumer` asks of a subscriber's socket.
extension EventLoop: FanOutWriter {
    func queuedBytes(of subscriber: WebSocketConnection) -> Int { subscriber.unsentBytes }

    func write(_ batch: FanOutBatch, gap: ServerMessage?, to subscriber: WebSocketConnection) -> Bool {
        subscriber.write(batch, gap: gap)
    }

    func dropSlowReader(_ subscriber: WebSocketConnection) {
        // The close frame queues behind everything else; linger ends it if it never drains.
        subscriber.fail(.tryAgainLater, reason: "reader too slow")
    }

    func closeAtChannelEnd(_ subscriber: WebSocketConnection) {
        subscriber.close(.normalClosure, reason: "channel closed")
    }
}

/// Metrics of fan-out writes, kept cheap: a write adds to plain counts of the loop's own, and
/// the loop adds those to the shared atomics once per pass (and each tick).
extension EventLoop {
    /// The monotonic time to stamp a fan-out write with: read at the first write after a flush
    /// and every 64th write after it, so a pass over thousands of subscribers reads the clock
    /// dozens of times, not thousands (a latency may read up to 63 writes' time low).
    @inline(__always)
    func fanOutClock() -> UInt64 {
        if writesSinceClock & 63 == 0 { writeClock = uv_hrtime() }
        writesSinceClock &+= 1
        return writeClock
    }

    /// Adds what this loop counted to `counters`, where the admin port reads it.
    func flushMetrics() {
        if unflushedBytes > 0 {
            counters.bytesWritten.add(unflushedBytes, ordering: .relaxed)
            unflushedBytes = 0
        }
        counters.latency?.add(&latencyRecorder)
        writesSinceClock = 0
    }
}
