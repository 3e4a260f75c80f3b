/// The `rate_limit` rule's buckets, one per user per channel, forgotten once they are full again.
///
/// A bucket left alone for a whole window has refilled, and a full bucket is what a newcomer
/// gets, so it can be dropped. Rather than sweeping entry by entry, buckets live in two
/// generations: each window the older generation is dropped whole and the current one becomes
/// the older; a bucket used again is moved back to the current one. A bucket is thus dropped
/// between one and two windows after its last use, and memory is bounded by the users active in
/// the last two windows, at the cost of freeing one table per window.
struct RateLimiter {
    /// Comments per window, the bucket's capacity.
    let capacity: Double
    /// Seconds for an empty bucket to fill.
    let window: Double
    private var current = KeyTable(placeholder: TokenBucket(capacity: 0, now: 0))
    private var previous = KeyTable(placeholder: TokenBucket(capacity: 0, now: 0))
    private var generationStart = -Double.infinity

    init(capacity: Int, window: Double) {
        self.capacity = Double(capacity)
        self.window = window
    }

    /// Buckets remembered.
    var count: Int { current.count + previous.count }

    /// Takes a token from `key`'s bucket; false when it is empty.
    mutating func take(_ key: UInt64, now: Double) -> Bool {
        rotateIfDue(now: now)
        let refill = capacity / window
        if let slot = current.index(of: key) {
            return current[slot: slot].take(now: now, capacity: capacity, refillPerSecond: refill)
        }
        var bucket = TokenBucket(capacity: capacity, now: now)
        if let slot = previous.index(of: key) {
            bucket = previous[slot: slot]
            previous.remove(at: slot)
        }
        let taken = bucket.take(now: now, capacity: capacity, refillPerSecond: refill)
        current.insert(key, bucket)
        return taken
    }

    private mutating func rotateIfDue(now: Double) {
        guard now - generationStart >= window else { return }
        // Size the new generation like the last one so that it does not rehash while it fills.
        let expected = current.count
        previous = now - generationStart >= 2 * window ? KeyTable(placeholder: current.placeholder) : current
        current = KeyTable(placeholder: current.placeholder, minimumCapacity: expected)
        generationStart = now
    }
}
