import Synchronization

/// A fixed-size ring of one channel's messages: one producer (the ingest loop), and every worker
/// loop a consumer with a cursor of its own. Neither side takes a lock.
///
/// Entries are objects; a slot holds a retained reference as the bits of its pointer. Position
/// `n` (counting from 0 since the ring was made) lives in slot `n & mask`; `published` counts
/// the entries ever written. A consumer at cursor `c` reads positions `c..<published`; if it fell
/// more than `capacity` behind, the oldest ones are gone and it learns how many it missed.
///
/// Why the orderings are enough: the producer writes slot `n` and then publishes `n + 1`; a
/// consumer loads `published` and then the slot, so it never sees a position before its entry.
/// The producer may overwrite the slot of position `n` (with position `n + capacity`) while a
/// consumer reads it; so after loading a slot the consumer loads `published` again, and if that
/// already reached `n + capacity` the load may be the newer entry and is discarded as missed.
/// All of these are sequentially consistent, which on x86-64 costs only the producer's stores;
/// they also give `QuiescenceTracker` the single total order its argument needs. Memory an
/// overwrite displaces is reclaimed through that tracker, never while a consumer may hold it.
public final class ChannelRing<Element: AnyObject & Sendable>: @unchecked Sendable {
    // @unchecked: slots and the counter are atomics; `retired` is touched by the producer only.
    public let capacity: Int
    private let mask: UInt64
    /// The slots, allocated by the first publish so a channel nobody comments on costs no ring.
    /// Stored before `published` first becomes 1, and read by consumers only after they saw it
    /// non-zero, so the sequentially consistent pair makes the allocation visible to them.
    private let slotStorage = Atomic<UInt>(0)
    private let published = Atomic<UInt64>(0)
    private let tracker: QuiescenceTracker
    /// Displaced entries waiting for every consumer to pass a quiescent state (producer only).
    private var retired: [(bits: UInt, snapshot: [UInt64])] = []
    private var retiredHead = 0

    /// - Parameter capacity: a power of two.
    public init(capacity: Int, tracker: QuiescenceTracker) {
        precondition(capacity > 0 && capacity & (capacity - 1) == 0, "ring capacity must be a power of two")
        self.capacity = capacity
        mask = UInt64(capacity - 1)
        self.tracker = tracker
    }

    deinit {
        // No consumer can hold a ring it no longer references, so everything can go.
        for entry in retired[retiredHead...] {
            Unmanaged<Element>.fromOpaque(UnsafeRawPointer(bitPattern: entry.bits)!).release()
        }
        guard let slots = allocatedSlots else { return }
        for index in 0..<capacity {
            let bits = slots[index].load(ordering: .relaxed)
            if bits != 0 { Unmanaged<Element>.fromOpaque(UnsafeRawPointer(bitPattern: bits)!).release() }
        }
        slots.deinitialize(count: capacity)
        slots.deallocate()
    }

    private var allocatedSlots: UnsafeMutablePointer<Atomic<UInt>>? {
        UnsafeMutablePointer(bitPattern: slotStorage.load(ordering: .sequentiallyConsistent))
    }

    /// Whether the slots exist yet (for tests and metrics).
    public var isAllocated: Bool { allocatedSlots != nil }

    /// Entries ever published: the position the next one will take.
    public var publishedCount: UInt64 { published.load(ordering: .sequentiallyConsistent) }

    // MARK: Producer

    /// Appends an entry. Producer thread only.
    public func publish(_ element: Element) {
        let position = published.load(ordering: .relaxed)
        let slots: UnsafeMutablePointer<Atomic<UInt>>
        if let existing = allocatedSlots {
            slots = existing
        } else {
            slots = .allocate(capacity: capacity)
            for index in 0..<capacity { (slots + index).initialize(to: Atomic(0)) }
            slotStorage.store(UInt(bitPattern: slots), ordering: .sequentiallyConsistent)
        }
        let slot = Int(position & mask)
        let bits = UInt(bitPattern: Unmanaged.passRetained(element).toOpaque())
        let displaced = slots[slot].exchange(bits, ordering: .sequentiallyConsistent)
        published.store(position + 1, ordering: .sequentiallyConsistent)
        if displaced != 0 { retired.append((displaced, tracker.snapshot())) }
        reclaim()
    }

    /// Frees displaced entries every consumer is done with. Producer thread only.
    public func reclaim() {
        while retiredHead < retired.count, tracker.hasPassed(retired[retiredHead].snapshot) {
            Unmanaged<Element>.fromOpaque(UnsafeRawPointer(bitPattern: retired[retiredHead].bits)!).release()
            retiredHead += 1
        }
        if retiredHead > 64, retiredHead * 2 > retired.count {
            retired.removeFirst(retiredHead)
            retiredHead = 0
        }
    }

    /// Displaced entries not yet freed (for tests and metrics).
    public var retiredCount: Int { retired.count - retiredHead }

    // MARK: Consumer

    /// What a consumer read: the entries from its cursor on, and how many it missed because it
    /// fell more than a ring behind.
    public struct Batch {
        public var elements: [Element] = []
        public var missed: UInt64 = 0
        /// The position after the last entry read: the consumer's new cursor.
        public var next: UInt64 = 0
    }

    /// The entry at `position`, when it is still safely readable (within the last capacity - 1
    /// entries published, and not overwritten meanwhile); nil otherwise. Consumer side: call
    /// between `enter` and `leave` on the tracker.
    public func peek(_ position: UInt64) -> Element? {
        let end = published.load(ordering: .sequentiallyConsistent)
        guard position < end, end - position <= UInt64(capacity - 1), let slots = allocatedSlots else { return nil }
        let bits = slots[Int(position & mask)].load(ordering: .sequentiallyConsistent)
        guard bits != 0, published.load(ordering: .sequentiallyConsistent) < position + UInt64(capacity) else { return nil }
        return Unmanaged<Element>.fromOpaque(UnsafeRawPointer(bitPattern: bits)!).takeUnretainedValue()
    }

    /// The oldest position `peek` may still read.
    public var oldestReadable: UInt64 {
        let end = published.load(ordering: .sequentiallyConsistent)
        return end > UInt64(capacity - 1) ? end - UInt64(capacity - 1) : 0
    }

    /// Reads everything published since `cursor`, at most `limit` entries. The consumer must be
    /// between `enter` and `leave` on the tracker; the returned references are its own.
    public func read(from cursor: UInt64, limit: Int = .max) -> Batch {
        var batch = Batch()
        let end = published.load(ordering: .sequentiallyConsistent)
        var position = cursor
        // The oldest slot of the last lap may be mid-overwrite, so a consumer that is behind
        // resumes one past it: capacity - 1 entries are safely readable.
        let window = UInt64(capacity - 1)
        if end - position > window {
            batch.missed = end - window - position
            position = end - window
        }
        let stop = min(end, position + UInt64(max(limit, 0)))
        guard position < stop, let slots = allocatedSlots else {
            batch.next = max(position, cursor)
            return batch
        }
        while position < stop {
            let bits = slots[Int(position & mask)].load(ordering: .sequentiallyConsistent)
            // Was this slot overwritten by a newer lap while we read it?
            if published.load(ordering: .sequentiallyConsistent) >= position + UInt64(capacity) || bits == 0 {
                batch.missed += 1
            } else {
                batch.elements.append(Unmanaged<Element>.fromOpaque(UnsafeRawPointer(bitPattern: bits)!).takeUnretainedValue())
            }
            position += 1
        }
        batch.next = position
        return batch
    }
}
