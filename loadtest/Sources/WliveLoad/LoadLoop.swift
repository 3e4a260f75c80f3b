import CLibUV
import Foundation
import Histogram
import Synchronization
import WliveDeflate
import WliveServer  // cast, the gateway's helper for libuv handle types

/// One libuv loop on its own thread driving a share of the load's connections.
///
/// The same pattern as the gateway's loops: the loop owns every handle it creates, each handle's
/// memory is owned by a Swift object found through `handle->data`, and other threads reach the
/// loop only through `run(_:)`, a locked queue drained by a `uv_async_t` callback.
final class LoadLoop: @unchecked Sendable {
    // @unchecked: `inbox` and `progress` are thread-safe; everything else is loop-thread state.
    let index: Int
    let uv: UnsafeMutablePointer<uv_loop_t>
    private let wakeup: UnsafeMutablePointer<uv_async_t>
    private let pacer: UnsafeMutablePointer<uv_timer_t>
    private let inbox = Mutex<[@Sendable (LoadLoop) -> Void]>([])
    private let stopped = DispatchSemaphore(value: 0)
    /// Shared by every read on this loop: bytes are consumed before the next read reuses it.
    let readBuffer = UnsafeMutableRawBufferPointer.allocate(byteCount: 256 * 1024, alignment: 16)

    /// Inflates compressed frames for every deflate subscriber of this loop: the server keeps no
    /// context between messages, so one inflater reads them all.
    lazy var inflater = DeflateInflater(clientNoContextTakeover: true)

    /// Counters other threads read for the progress line.
    let progress = LoopProgress()
    /// What this loop's clients saw; read by other threads only after the loop stopped.
    var tally = LoadReport()
    /// Called every millisecond on the loop thread (connect pacing, posting).
    var onPace: [(LoadLoop) -> Void] = []
    var clients: [ObjectIdentifier: TCPClient] = [:]
    init(index: Int) {
        self.index = index
        uv = .allocate(capacity: 1)
        wakeup = .allocate(capacity: 1)
        pacer = .allocate(capacity: 1)
        uv_loop_init(uv)
        uv.pointee.data = Unmanaged.passUnretained(self).toOpaque()
        uv_async_init(uv, wakeup) { handle in LoadLoop.from(handle!.pointee.loop).drainInbox() }
        uv_timer_init(uv, pacer)
        uv_timer_start(
            pacer,
            { handle in
                let loop = LoadLoop.from(handle!.pointee.loop)
                for step in loop.onPace { step(loop) }
                loop.progress.publishLatency(loop.tally.latency, every: 1_000_000_000)
            }, 1, 1)
    }

    deinit {
        readBuffer.deallocate()
        uv.deallocate()
        wakeup.deallocate()
        pacer.deallocate()
    }

    static func from(_ loop: UnsafeMutablePointer<uv_loop_t>!) -> LoadLoop {
        Unmanaged<LoadLoop>.fromOpaque(loop.pointee.data).takeUnretainedValue()
    }

    func start() {
        let thread = Thread { [self] in
            uv_run(uv, UV_RUN_DEFAULT)
            uv_loop_close(uv)
            stopped.signal()
        }
        thread.name = "wlive-load \(index)"
        thread.start()
    }

    /// Runs `work` on the loop thread, soon.
    func run(_ work: @escaping @Sendable (LoadLoop) -> Void) {
        inbox.withLock { $0.append(work) }
        uv_async_send(wakeup)
    }

    /// Runs `work` on the loop thread and waits for its result.
    func sync<T: Sendable>(_ work: @escaping @Sendable (LoadLoop) -> T) -> T {
        let result = Mutex<T?>(nil)
        let done = DispatchSemaphore(value: 0)
        run { loop in
            let value = work(loop)
            result.withLock { $0 = value }
            done.signal()
        }
        done.wait()
        return result.withLock { $0! }
    }

    private func drainInbox() {
        let work = inbox.withLock { queue in
            defer { queue.removeAll(keepingCapacity: true) }
            return queue
        }
        for item in work { item(self) }
    }

    /// Closes every client and handle; the thread ends once libuv has nothing left.
    func stop() {
        run { loop in
            for client in loop.clients.values { client.close() }
            uv_close(cast(loop.pacer, to: uv_handle_t.self), nil)
            uv_close(cast(loop.wakeup, to: uv_handle_t.self), nil)
        }
        stopped.wait()
    }

    func register(_ client: TCPClient) { clients[ObjectIdentifier(client)] = client }
    func unregister(_ client: TCPClient) { clients[ObjectIdentifier(client)] = nil }
}

/// A loop's running totals, readable from any thread for the progress line.
final class LoopProgress: Sendable {
    let connected = Atomic<Int>(0)
    let posted = Atomic<Int>(0)
    let delivered = Atomic<Int>(0)
    let lastDelivery = Atomic<UInt64>(0)
    let postsInFlight = Atomic<Int>(0)
    /// Settled connection attempts (subscribed or failed).
    let settled = Atomic<Int>(0)
    private let latency = Mutex<(histogram: LatencyHistogram?, at: UInt64)>((nil, 0))

    /// Copies the loop's histogram for other threads at most every `interval` nanoseconds.
    func publishLatency(_ histogram: LatencyHistogram, every interval: UInt64) {
        let now = monotonicNanoseconds()
        latency.withLock { state in
            guard now - state.at >= interval else { return }
            state = (histogram, now)
        }
    }

    var latencySnapshot: LatencyHistogram? { latency.withLock { $0.histogram } }
}

typealias LatencyHistogram = Histogram<UInt64>
