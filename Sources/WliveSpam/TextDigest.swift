/// A 64-bit digest of a comment's normal form: what the repeat and flood rules compare and keep,
/// so that their tables hold eight bytes per text rather than the text.
///
/// The digest is a keyed `SipHash` (the filter draws its key at random), so a poster cannot craft
/// a text that collides with someone else's to get it refused. It hashes the normal form as
/// UTF-16 code units, half the bytes of UTF-32 for Chinese and just as unambiguous. A text that
/// normalises to nothing (only emoji or punctuation) is digested as written instead, after a
/// marker no normal form starts with (U+00FF U+0000 …: the normal form has no U+0000), so that
/// "😀" and "👍" stay different.
enum TextDigest {
    static func of(normalized: UnsafeBufferPointer<UInt32>, original: String, key: SipHashKey) -> UInt64 {
        var hash = SipHash<SipHash13>(key: key)
        if normalized.isEmpty {
            hash.combine(0xFF)
            return original.withUTF8Bytes { hash.finalize(bytes: UnsafeRawBufferPointer($0)) }
        }
        // Code units four to a word, little-endian, as SipHash reads the UTF-16 bytes.
        var word: UInt64 = 0
        var units = 0
        var index = 0
        let count = normalized.count
        // All-BMP stretches, the usual case, four scalars at a time.
        while index &+ 4 <= count {
            let a = normalized[index]
            let b = normalized[index &+ 1]
            let c = normalized[index &+ 2]
            let d = normalized[index &+ 3]
            guard (a | b | c | d) < 0x1_0000 else { break }
            hash.combine(UInt64(a) | UInt64(b) &<< 16 | UInt64(c) &<< 32 | UInt64(d) &<< 48)
            index &+= 4
        }
        // The rest, and anything beyond the BMP as a surrogate pair.
        func append(_ unit: UInt32) {
            word |= UInt64(unit) &<< UInt64(16 * units)
            units &+= 1
            if units == 4 {
                hash.combine(word)
                word = 0
                units = 0
            }
        }
        while index < count {
            let scalar = normalized[index]
            if scalar < 0x1_0000 {
                append(scalar)
            } else {
                let offset = scalar &- 0x1_0000
                append(0xD800 &+ offset &>> 10)
                append(0xDC00 &+ offset & 0x3FF)
            }
            index &+= 1
        }
        return hash.finalize(tail: word, count: units * 2)
    }
}
