/// A hashed timing wheel: many deadlines, one clock.
///
/// A loop with 100,000 connections must not run 100,000 libuv timers. It runs one repeating
/// timer that calls `advance(to:)`, and every connection keeps at most a few entries here.
/// Entries are never removed early: a caller that moves its deadline schedules a new entry and
/// ignores the stale one when it fires (compare the fired deadline with its current one).
/// Scheduling is O(1); advancing one tick touches one slot.
public struct TimerWheel<Element> {
    private var slots: [[(deadline: UInt64, element: Element)]]
    private let mask: UInt64
    /// The last tick `advance` reached.
    public private(set) var now: UInt64
    /// Entries waiting, stale ones included.
    public private(set) var count = 0

    /// - Parameter slotCount: a power of two; deadlines further ahead than this many ticks are
    ///   kept too, just visited once more per turn of the wheel.
    public init(slotCount: Int = 4096, now: UInt64 = 0) {
        precondition(slotCount > 0 && slotCount & (slotCount - 1) == 0, "slotCount must be a power of two")
        slots = Array(repeating: [], count: slotCount)
        mask = UInt64(slotCount - 1)
        self.now = now
    }

    /// Adds `element` to fire at tick `deadline`; a deadline not after `now` fires on the next advance.
    public mutating func schedule(_ element: Element, at deadline: UInt64) {
        let due = max(deadline, now + 1)
        slots[Int(due & mask)].append((due, element))
        count += 1
    }

    /// Moves the clock to `tick` and returns every entry due by then, in slot order.
    public mutating func advance(to tick: UInt64) -> [(deadline: UInt64, element: Element)] {
        guard tick > now else { return [] }
        var fired: [(deadline: UInt64, element: Element)] = []
        let steps = min(tick - now, UInt64(slots.count))
        for step in 1...steps {
            let index = Int((now + step) & mask)
            guard !slots[index].isEmpty else { continue }
            var kept: [(deadline: UInt64, element: Element)] = []
            for entry in slots[index] {
                if entry.deadline <= tick { fired.append(entry) } else { kept.append(entry) }
            }
            slots[index] = kept
        }
        count -= fired.count
        now = tick
        return fired
    }
}
