/// The 64-bit keys of the stateful rules' tables.
///
/// Keys are `Hasher` digests, seeded at random per process: the tables hold plain integers
/// (cheap to rehash, nothing to release) and a poster cannot aim a collision at someone else's
/// key. Collisions by chance are negligible at 64 bits: about one in 10^8 for a million keys.
enum SpamKey {
    /// A user in a channel: the `rate_limit` bucket.
    static func user(channel: UInt64, user: String) -> UInt64 {
        var hasher = Hasher()
        hasher.combine(channel)
        hasher.combine(user)
        return UInt64(UInt(bitPattern: hasher.finalize()))
    }

    /// A user's text in a channel: the `repeat` history.
    static func userText(user: UInt64, text: UInt64) -> UInt64 {
        combine(0x7265_7065_6174, user, text)  // "repeat"
    }

    /// A text in a channel: the `flood` history.
    static func channelText(channel: UInt64, text: UInt64) -> UInt64 {
        combine(0x666C_6F6F_64, channel, text)  // "flood"
    }

    private static func combine(_ domain: UInt64, _ first: UInt64, _ second: UInt64) -> UInt64 {
        var hasher = Hasher()
        hasher.combine(domain)
        hasher.combine(first)
        hasher.combine(second)
        return UInt64(UInt(bitPattern: hasher.finalize()))
    }
}
