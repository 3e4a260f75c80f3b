/// A token bucket: `capacity` comments at once, refilled continuously at `refillPerSecond`.
///
/// Refill is computed lazily from the time elapsed, so an idle bucket costs nothing.
struct TokenBucket {
    private(set) var tokens: Double
    private(set) var updatedAt: Double

    /// A full bucket.
    init(capacity: Double, now: Double) {
        tokens = capacity
        updatedAt = now
    }

    /// Takes one token if there is one; false means the caller is over its rate.
    mutating func take(now: Double, capacity: Double, refillPerSecond: Double) -> Bool {
        refill(now: now, capacity: capacity, refillPerSecond: refillPerSecond)
        // A whole token, give or take the rounding of the refill arithmetic.
        guard tokens >= 1 - 1e-9 else { return false }
        tokens = max(0, tokens - 1)
        return true
    }

    private mutating func refill(now: Double, capacity: Double, refillPerSecond: Double) {
        guard now > updatedAt else { return }  // a clock that steps back refills nothing
        tokens = min(capacity, tokens + (now - updatedAt) * refillPerSecond)
        updatedAt = now
    }
}
