import WliveCodec
import WliveEngine

/// The transport side of fan-out: what `FanOutConsumer` asks of a subscriber's socket.
extension EventLoop: FanOutWriter {
    func queuedBytes(of subscriber: Connection) -> Int { subscriber.unsentBytes }

    func write(_ batch: FanOutBatch, gap: SharedFrame?, to subscriber: Connection) -> Bool {
        subscriber.write(batch, gap: gap)
    }

    func dropSlowReader(_ subscriber: Connection) {
        // The close frame queues behind everything else; linger ends it if it never drains.
        subscriber.fail(.tryAgainLater, reason: "reader too slow")
    }

    func closeAtChannelEnd(_ subscriber: Connection) {
        subscriber.close(.normalClosure, reason: "channel closed")
    }
}
