import Synchronization

/// Quiescent-state-based reclamation for the channel rings.
///
/// A consumer (worker loop) may load an entry's pointer from a ring slot just before the
/// producer overwrites that slot. The producer therefore never frees what it overwrote at once:
/// it retires it with a snapshot of every consumer's epoch, and frees it only once each
/// consumer has been quiescent (outside a drain) since. A consumer's epoch is odd while it
/// drains and even otherwise; `enter` and `leave` each add one.
///
/// Ordering: epochs change with sequentially consistent read-modify-writes, and the producer
/// stores slots and loads epochs sequentially consistently too. In that single total order, a
/// consumer that loaded the old pointer did so after its `enter` and before the producer's
/// store, so the producer's later epoch snapshot sees it still odd (or already moved on, when
/// it has left and holds its own strong references). See `hasPassed`.
public final class QuiescenceTracker: @unchecked Sendable {
    // @unchecked: the epochs are atomics; the pointer itself never changes after init.
    private let epochs: UnsafeMutablePointer<Atomic<UInt64>>
    public let consumerCount: Int

    public init(consumers: Int) {
        consumerCount = consumers
        epochs = .allocate(capacity: max(consumers, 1))
        for index in 0..<max(consumers, 1) { (epochs + index).initialize(to: Atomic(0)) }
    }

    deinit {
        epochs.deinitialize(count: max(consumerCount, 1))
        epochs.deallocate()
    }

    /// The consumer starts reading rings.
    public func enter(_ consumer: Int) { epochs[consumer].add(1, ordering: .sequentiallyConsistent) }

    /// The consumer holds no borrowed ring pointer any more.
    public func leave(_ consumer: Int) { epochs[consumer].add(1, ordering: .sequentiallyConsistent) }

    /// Every consumer's epoch, for a retirement.
    public func snapshot() -> [UInt64] {
        (0..<consumerCount).map { epochs[$0].load(ordering: .sequentiallyConsistent) }
    }

    /// Whether every consumer has been quiescent since `snapshot` was taken: it was outside a
    /// drain then (even), or its epoch has moved on since.
    public func hasPassed(_ snapshot: [UInt64]) -> Bool {
        for (consumer, seen) in snapshot.enumerated() where seen & 1 == 1 {
            if epochs[consumer].load(ordering: .sequentiallyConsistent) == seen { return false }
        }
        return true
    }
}
