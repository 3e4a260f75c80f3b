/// One subscriber's view of its channel's stream: counts what arrived in order and flags anything
/// that came again or out of order. Sequence numbers are the poster's, from 1.
public struct SequenceTracker: Sendable, Equatable {
    /// The highest sequence seen.
    public private(set) var last: UInt64 = 0
    /// Comments that arrived in order, once each.
    public private(set) var inOrder: UInt64 = 0
    /// Comments at or below `last`: a duplicate or a reordering.
    public private(set) var outOfOrder: UInt64 = 0
    /// Sequence numbers jumped over (lost, or never accepted by the server).
    public private(set) var skipped: UInt64 = 0

    public init() {}

    /// Counts `sequence` and says whether it came in order.
    @discardableResult
    public mutating func observe(_ sequence: UInt64) -> Bool {
        guard sequence > last else {
            outOfOrder += 1
            return false
        }
        skipped += sequence - last - 1
        last = sequence
        inOrder += 1
        return true
    }
}
