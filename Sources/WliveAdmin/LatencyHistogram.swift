import Synchronization

/// Publish-to-write latency of delivered messages, counted in fixed buckets with relaxed
/// atomics that the admin port reads when scraped. A loop counts its writes in a plain
/// `LatencyRecorder` of its own and adds that here once per fan-out pass, so the fan-out path
/// never takes a lock, calls a metrics factory or even touches an atomic per write.
public final class LatencyHistogram: @unchecked Sendable {
    // @unchecked: every field is an atomic or immutable.

    /// Upper bounds of the buckets, in nanoseconds; one more bucket counts everything above.
    public static let boundsNanoseconds: [UInt64] = [
        50_000, 100_000, 250_000, 500_000, 1_000_000, 2_500_000, 5_000_000, 10_000_000, 25_000_000, 50_000_000,
        100_000_000, 250_000_000, 500_000_000, 1_000_000_000, 2_500_000_000, 5_000_000_000,
    ]

    private let counts: UnsafeMutablePointer<Atomic<Int>>
    private let sum = Atomic<Int>(0)

    public init() {
        counts = .allocate(capacity: Self.boundsNanoseconds.count + 1)
        for index in 0...Self.boundsNanoseconds.count { (counts + index).initialize(to: Atomic(0)) }
    }

    deinit {
        counts.deinitialize(count: Self.boundsNanoseconds.count + 1)
        counts.deallocate()
    }

    /// The bucket a latency falls in.
    @inline(__always)
    static func bucket(_ nanoseconds: UInt64) -> Int {
        var index = 0
        while index < boundsNanoseconds.count, nanoseconds > boundsNanoseconds[index] { index += 1 }
        return index
    }

    /// Adds what a loop recorded since its last flush, and empties the recorder.
    public func add(_ recorder: inout LatencyRecorder) {
        guard !recorder.isEmpty else { return }
        for (index, count) in recorder.counts.enumerated() where count > 0 { counts[index].add(count, ordering: .relaxed) }
        sum.add(recorder.sumNanoseconds, ordering: .relaxed)
        recorder.reset()
    }

    /// Counts one message written `nanoseconds` after it was published.
    public func record(nanoseconds: UInt64) {
        counts[Self.bucket(nanoseconds)].add(1, ordering: .relaxed)
        sum.add(Int(truncatingIfNeeded: nanoseconds), ordering: .relaxed)
    }

    /// The counts so far.
    public func snapshot() -> LatencySnapshot {
        LatencySnapshot(
            counts: (0...Self.boundsNanoseconds.count).map { counts[$0].load(ordering: .relaxed) },
            sumNanoseconds: sum.load(ordering: .relaxed))
    }
}

/// Bucket counts of a `LatencyHistogram` at one moment; several add up.
public struct LatencySnapshot: Sendable, Equatable {
    /// Per bucket (not cumulative), the last one above every bound.
    public var counts: [Int]
    public var sumNanoseconds: Int

    public init(counts: [Int] = Array(repeating: 0, count: LatencyHistogram.boundsNanoseconds.count + 1), sumNanoseconds: Int = 0)
    {
        self.counts = counts
        self.sumNanoseconds = sumNanoseconds
    }

    public var count: Int { counts.reduce(0, +) }

    public static func + (lhs: Self, rhs: Self) -> Self {
        Self(counts: zip(lhs.counts, rhs.counts).map { $0 + $1 }, sumNanoseconds: lhs.sumNanoseconds + rhs.sumNanoseconds)
    }

    /// The counts accumulated since `earlier`.
    public func since(_ earlier: Self) -> Self {
        Self(counts: zip(counts, earlier.counts).map { $0 - $1 }, sumNanoseconds: sumNanoseconds - earlier.sumNanoseconds)
    }

    /// The upper bound, in seconds, of the bucket holding the `q` quantile (as Prometheus's
    /// `histogram_quantile` would bound it); nil with no observation, infinity above the last bound.
    public func quantile(_ q: Double) -> Double? {
        let total = count
        guard total > 0 else { return nil }
        let rank = max(1, Int((q * Double(total)).rounded(.up)))
        var seen = 0
        for (index, bucketCount) in counts.enumerated() {
            seen += bucketCount
            if seen >= rank {
                return index < LatencyHistogram.boundsNanoseconds.count
                    ? Double(LatencyHistogram.boundsNanoseconds[index]) / 1e9 : .infinity
            }
        }
        return .infinity
    }
}

/// One loop's latency counts since its last flush into the shared `LatencyHistogram`: plain
/// integers, owned by the loop's thread.
public struct LatencyRecorder: Sendable {
    public private(set) var counts = [Int](repeating: 0, count: LatencyHistogram.boundsNanoseconds.count + 1)
    public private(set) var sumNanoseconds = 0
    public private(set) var isEmpty = true

    public init() {}

    /// Counts `count` messages written at `now`, published at `oldest` ... `newest` (monotonic
    /// nanoseconds) with `publishedSum` the sum of their publication times. When the oldest and
    /// the newest share a bucket, so do all between them, and one addition counts them all;
    /// otherwise `each` yields every publication time.
    @inline(__always)
    public mutating func record(
        now: UInt64, count: Int, oldest: UInt64, newest: UInt64, publishedSum: UInt64, each: () -> [UInt64]
    ) {
        guard count > 0 else { return }
        isEmpty = false
        let first = LatencyHistogram.bucket(now &- oldest)
        if first == LatencyHistogram.bucket(now &- newest) {
            counts[first] += count
        } else {
            for published in each() { counts[LatencyHistogram.bucket(now &- published)] += 1 }
        }
        sumNanoseconds &+= Int(truncatingIfNeeded: UInt64(count) &* now &- publishedSum)
    }

    mutating func reset() {
        for index in counts.indices { counts[index] = 0 }
        sumNanoseconds = 0
        isEmpty = true
    }
}
