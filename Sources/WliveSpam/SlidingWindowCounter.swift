/// Counts, per key, the events of the last `window` seconds: exactly, and in memory proportional
/// to those events alone.
///
/// The `repeat` rule asks it whether a user's text was accepted in the channel within a minute
/// (a count of at least one); the `flood` rule whether a text was accepted in the channel
/// `floodCount` times within ten seconds. Events are kept in arrival order, so expiring them is
/// a walk from the oldest, and a key whose count falls to zero is forgotten at once: nothing
/// needs a separate sweep, and a quiet filter holds nothing.
///
/// Keys are 64-bit digests (see `SpamKey`), so the counts live in a `KeyTable` of plain values:
/// no strings to hash again, nothing to release.
struct SlidingWindowCounter {
    let window: Double
    /// Events within the window per key; no zero counts.
    private var counts = KeyTable<Int32>(placeholder: 0)
    /// Events in arrival order; those before `head` have expired.
    private var events: [(key: UInt64, time: Double)] = []
    private var head = 0

    init(window: Double) {
        self.window = window
    }

    /// Keys with at least one event in the window.
    var keyCount: Int { counts.count }

    /// Events in the window, across keys.
    var eventCount: Int { events.count - head }

    /// Events for `key` in the window, as of the last `expire`.
    func count(of key: UInt64) -> Int {
        counts.index(of: key).map { Int(counts[slot: $0]) } ?? 0
    }

    /// Forgets events that happened `window` seconds or more before `now`.
    mutating func expire(now: Double) {
        let cutoff = now - window
        while head < events.count && events[head].time <= cutoff {
            let key = events[head].key
            if let slot = counts.index(of: key) {
                if counts[slot: slot] > 1 { counts[slot: slot] -= 1 } else { counts.remove(at: slot) }
            }
            head += 1
        }
        compactIfWasteful()
    }

    /// Records an event for `key` at `now`.
    mutating func record(_ key: UInt64, now: Double) {
        events.append((key, now))
        if let slot = counts.index(of: key) { counts[slot: slot] += 1 } else { counts.insert(key, 1) }
    }

    /// Takes back the latest event for `key` (one recorded for a comment that was then not
    /// kept). It sits near the end, so the search and the removal are short.
    mutating func forget(_ key: UInt64) {
        guard let slot = counts.index(of: key),
            let index = events[head...].lastIndex(where: { $0.key == key })
        else { return }
        events.remove(at: index)
        if counts[slot: slot] > 1 { counts[slot: slot] -= 1 } else { counts.remove(at: slot) }
    }

    /// Drops expired events from the front of the array once they are most of it, and gives
    /// memory back after a burst: amortised constant time per event.
    private mutating func compactIfWasteful() {
        guard head >= 1024, head * 2 >= events.count else {
            if head > 0 && head == events.count {  // all expired: start over, keeping a modest buffer
                events.removeAll(keepingCapacity: events.capacity <= 4096)
                head = 0
            }
            return
        }
        let live = events.count - head
        if events.capacity > 4 * max(live, 1024) {
            events = Array(events[head...])  // the burst is over: shrink
        } else {
            events.removeFirst(head)
        }
        head = 0
    }
}
