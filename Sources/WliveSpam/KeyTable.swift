/// A hash table from 64-bit keys to plain values, for keys that are already uniformly random.
///
/// The stateful rules' keys are keyed digests (see `SpamKey`), so hashing them again, as
/// `Dictionary` must, is wasted work on the hot path. This table uses the key's own bits to pick
/// a slot: open addressing with linear probing over a power-of-two array of key–value entries
/// (a lookup touches one cache line, not one for the key and another for the value), deletion by
/// shifting later entries back (no tombstones), growth at 3/4 full and shrinking at 1/16 full so
/// that a table emptied after a burst gives its memory back.
///
/// Key 0 marks an empty slot and is stored as 1 instead; two digests differing only there would
/// share an entry, a one-in-2^63 event.
struct KeyTable<Value> {
    private struct Entry {
        var key: UInt64
        var value: Value
    }

    private var entries: [Entry]
    private var mask: Int
    /// What empty slots hold, so that values need no optional wrapper.
    let placeholder: Value
    private(set) var count = 0

    private static var minimumCapacity: Int { 16 }

    init(placeholder: Value, minimumCapacity: Int = 0) {
        var capacity = Self.minimumCapacity
        while capacity * 3 < minimumCapacity * 4 { capacity *= 2 }
        entries = [Entry](repeating: Entry(key: 0, value: placeholder), count: capacity)
        mask = capacity - 1
        self.placeholder = placeholder
    }

    /// Slots allocated, for tests of shrinking.
    var capacity: Int { entries.count }

    @inline(__always)
    private static func stored(_ key: UInt64) -> UInt64 { key == 0 ? 1 : key }

    /// The slot holding `key`, or nil.
    @inline(__always)
    func index(of key: UInt64) -> Int? {
        let key = Self.stored(key)
        return entries.withUnsafeBufferPointer { entries in
            var slot = Int(truncatingIfNeeded: key) & mask
            while true {
                let found = entries[slot].key
                if found == key { return slot }
                if found == 0 { return nil }
                slot = (slot + 1) & mask
            }
        }
    }

    subscript(key: UInt64) -> Value? {
        guard let slot = index(of: key) else { return nil }
        return entries[slot].value
    }

    /// The value in a slot from `index(of:)`, to read or change in place.
    subscript(slot slot: Int) -> Value {
        get { entries[slot].value }
        _modify { yield &entries[slot].value }
    }

    /// Adds `key`, which must not be present.
    mutating func insert(_ key: UInt64, _ value: Value) {
        if (count + 1) * 4 > entries.count * 3 { resize(to: entries.count * 2) }
        let key = Self.stored(key)
        var slot = Int(truncatingIfNeeded: key) & mask
        while entries[slot].key != 0 { slot = (slot + 1) & mask }
        entries[slot] = Entry(key: key, value: value)
        count += 1
    }

    /// Removes the entry in `slot`, moving back later entries of its probe run so that lookups
    /// never need tombstones.
    mutating func remove(at slot: Int) {
        var hole = slot
        var next = (slot + 1) & mask
        while entries[next].key != 0 {
            let home = Int(truncatingIfNeeded: entries[next].key) & mask
            // Move the entry into the hole unless its home lies cyclically in (hole, next].
            let stays = hole <= next ? (hole < home && home <= next) : (hole < home || home <= next)
            if !stays {
                entries[hole] = entries[next]
                hole = next
            }
            next = (next + 1) & mask
        }
        entries[hole] = Entry(key: 0, value: placeholder)
        count -= 1
        if entries.count > Self.minimumCapacity && count * 16 < entries.count { resize(to: entries.count / 4) }
    }

    private mutating func resize(to capacity: Int) {
        let old = entries
        entries = [Entry](repeating: Entry(key: 0, value: placeholder), count: capacity)
        mask = capacity - 1
        for entry in old where entry.key != 0 {
            var slot = Int(truncatingIfNeeded: entry.key) & mask
            while entries[slot].key != 0 { slot = (slot + 1) & mask }
            entries[slot] = entry
        }
    }
}
