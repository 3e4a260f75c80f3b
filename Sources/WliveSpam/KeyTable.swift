/// A hash table from 64-bit keys to plain values, for keys that are already uniformly random.
///
/// The stateful rules' keys are `Hasher` digests (see `SpamKey`), so hashing them again, as
/// `Dictionary` must, is wasted work on the hot path. This table uses the key's own bits to pick
/// a slot: open addressing with linear probing over a power-of-two array, deletion by shifting
/// later entries back (no tombstones), growth at 3/4 full and shrinking at 1/16 full so that a
/// table emptied after a burst gives its memory back.
///
/// Key 0 marks an empty slot and is stored as 1 instead; two digests differing only there would
/// share an entry, a one-in-2^63 event.
struct KeyTable<Value> {
    private var keys: [UInt64]
    private var values: [Value]
    private var mask: Int
    /// What empty slots hold, so that values need no optional wrapper.
    let placeholder: Value
    private(set) var count = 0

    private static var minimumCapacity: Int { 16 }

    init(placeholder: Value, minimumCapacity: Int = 0) {
        var capacity = Self.minimumCapacity
        while capacity * 3 < minimumCapacity * 4 { capacity *= 2 }
        keys = [UInt64](repeating: 0, count: capacity)
        values = [Value](repeating: placeholder, count: capacity)
        mask = capacity - 1
        self.placeholder = placeholder
    }

    /// Slots allocated, for tests of shrinking.
    var capacity: Int { keys.count }

    @inline(__always)
    private static func stored(_ key: UInt64) -> UInt64 { key == 0 ? 1 : key }

    /// The slot holding `key`, or nil.
    @inline(__always)
    func index(of key: UInt64) -> Int? {
        let key = Self.stored(key)
        return keys.withUnsafeBufferPointer { keys in
            var slot = Int(truncatingIfNeeded: key) & mask
            while true {
                let found = keys[slot]
                if found == key { return slot }
                if found == 0 { return nil }
                slot = (slot + 1) & mask
            }
        }
    }

    subscript(key: UInt64) -> Value? {
        guard let slot = index(of: key) else { return nil }
        return values[slot]
    }

    /// The value in a slot from `index(of:)`, to read or change in place.
    subscript(slot slot: Int) -> Value {
        get { values[slot] }
        _modify { yield &values[slot] }
    }

    /// Adds `key`, which must not be present.
    mutating func insert(_ key: UInt64, _ value: Value) {
        if (count + 1) * 4 > keys.count * 3 { resize(to: keys.count * 2) }
        let key = Self.stored(key)
        var slot = Int(truncatingIfNeeded: key) & mask
        while keys[slot] != 0 { slot = (slot + 1) & mask }
        keys[slot] = key
        values[slot] = value
        count += 1
    }

    /// Removes the entry in `slot`, moving back later entries of its probe run so that lookups
    /// never need tombstones.
    mutating func remove(at slot: Int) {
        var hole = slot
        var next = (slot + 1) & mask
        while keys[next] != 0 {
            let home = Int(truncatingIfNeeded: keys[next]) & mask
            // Move the entry into the hole unless its home lies cyclically in (hole, next].
            let stays = hole <= next ? (hole < home && home <= next) : (hole < home || home <= next)
            if !stays {
                keys[hole] = keys[next]
                values[hole] = values[next]
                hole = next
            }
            next = (next + 1) & mask
        }
        keys[hole] = 0
        values[hole] = placeholder
        count -= 1
        if keys.count > Self.minimumCapacity && count * 16 < keys.count { resize(to: keys.count / 4) }
    }

    private mutating func resize(to capacity: Int) {
        let oldKeys = keys
        let oldValues = values
        keys = [UInt64](repeating: 0, count: capacity)
        values = [Value](repeating: placeholder, count: capacity)
        mask = capacity - 1
        for (slot, key) in oldKeys.enumerated() where key != 0 {
            var target = Int(truncatingIfNeeded: key) & mask
            while keys[target] != 0 { target = (target + 1) & mask }
            keys[target] = key
            values[target] = oldValues[slot]
        }
    }
}
