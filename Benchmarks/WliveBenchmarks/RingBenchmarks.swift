import Benchmark
import WliveCodec
import WliveEngine
import WliveProtocol

/// The ring's cost per entry: publish (with retirement and reclamation) and one consumer's read.
func registerRingBenchmarks() {
    let frame = SharedFrame(opcode: .text, payload: [UInt8](repeating: 0x61, count: 200))
    let placeholder = ServerMessage.error(code: .success, message: "a raw benchmark frame")

    Benchmark("Ring publish + consume, per entry (1 consumer)") { benchmark in
        let tracker = QuiescenceTracker(consumers: 1)
        let ring = ChannelRing<ChannelMessage>(capacity: 4096, tracker: tracker)
        let messages = (0..<64).map { ChannelMessage(.comment, seq: UInt64($0 + 1), message: placeholder, frame: frame) }
        var cursor: UInt64 = 0
        benchmark.startMeasurement()
        for iteration in benchmark.scaledIterations {
            ring.publish(messages[iteration & 63])
            if iteration & 63 == 63 {
                tracker.enter(0)
                let batch = ring.read(from: cursor)
                cursor = batch.next
                blackHole(batch.elements.count)
                tracker.leave(0)
            }
        }
    }

    Benchmark("Ring publish only, per entry (4 idle consumers)") { benchmark in
        let tracker = QuiescenceTracker(consumers: 4)
        let ring = ChannelRing<ChannelMessage>(capacity: 4096, tracker: tracker)
        let message = ChannelMessage(.comment, seq: 1, message: placeholder, frame: frame)
        benchmark.startMeasurement()
        for _ in benchmark.scaledIterations { ring.publish(message) }
    }
}
