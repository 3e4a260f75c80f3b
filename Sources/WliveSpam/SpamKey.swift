/// The 64-bit keys of the stateful rules' tables.
///
/// The user key and the text digest are keyed `SipHash` digests, under a key each filter draws at
/// random, so a poster cannot aim a collision at someone else's key; the tables then hold plain
/// integers (cheap to rehash, nothing to release). Keys built from those digests need no second
/// keyed hash: mixing them with a fixed bijection keeps them as unpredictable as their inputs.
/// Chance collisions are negligible at 64 bits: about one in 10^8 for a million keys.
enum SpamKey {
    /// A user in a channel: the `rate_limit` bucket. The user key is hashed as bytes: it is an
    /// opaque identifier, and bytes skip the Unicode canonical equivalence `String` would apply.
    /// The channel's fixed eight bytes come first, so the pair is read back unambiguously.
    static func user(channel: UInt64, user: String, key: SipHashKey) -> UInt64 {
        var hash = SipHash<SipHash13>(key: key)
        hash.combine(channel)
        return user.withUTF8Bytes { hash.finalize(bytes: UnsafeRawBufferPointer($0)) }
    }

    /// A user's text in a channel: the `repeat` history.
    static func userText(user: UInt64, text: UInt64) -> UInt64 {
        mix(user &+ text &* 0x9E37_79B9_7F4A_7C15)
    }

    /// A text in a channel: the `flood` history.
    static func channelText(channel: UInt64, text: UInt64) -> UInt64 {
        mix(text ^ mix(channel &+ 0x666C_6F6F_64))  // "flood": keeps channel keys apart from user keys
    }

    /// MurmurHash3's 64-bit finaliser: a bijection that spreads every input bit over the output.
    @inline(__always)
    private static func mix(_ value: UInt64) -> UInt64 {
        var value = value
        value ^= value >> 33
        value &*= 0xFF51_AFD7_ED55_8CCD
        value ^= value >> 33
        value &*= 0xC4CE_B9FE_1A85_EC53
        value ^= value >> 33
        return value
    }
}
