/// A 64-bit digest of a comment's normal form: what the repeat and flood rules compare and keep,
/// so that their tables hold eight bytes per text rather than the text.
///
/// The digest is `Hasher`'s, seeded at random per process, so a poster cannot craft a text that
/// collides with someone else's to get it refused. The scalars are hashed as UTF-16 code units,
/// half the bytes of UTF-32 for Chinese and just as unambiguous. A text that normalises to
/// nothing (only emoji or punctuation) is digested as written instead, so that "😀" and "👍"
/// stay different.
enum TextDigest {
    static func of(normalized: UnsafeBufferPointer<UInt32>, original: String) -> UInt64 {
        var hasher = Hasher()
        if normalized.isEmpty {
            hasher.combine(0xFF as UInt8)
            original.withUTF8Bytes { hasher.combine(bytes: UnsafeRawBufferPointer($0)) }
        } else {
            withUnsafeTemporaryAllocation(of: UInt16.self, capacity: normalized.count * 2) { units in
                // Nearly always all BMP: then a plain narrowing loop, which the compiler vectorises.
                if normalized.reduce(0, |) < 0x1_0000 {
                    for index in normalized.indices { units[index] = UInt16(truncatingIfNeeded: normalized[index]) }
                    hasher.combine(bytes: UnsafeRawBufferPointer(UnsafeBufferPointer(rebasing: units[..<normalized.count])))
                    return
                }
                var count = 0
                for scalar in normalized {
                    if scalar < 0x1_0000 {
                        units[count] = UInt16(truncatingIfNeeded: scalar)
                        count += 1
                    } else {
                        let offset = scalar - 0x1_0000
                        units[count] = UInt16(truncatingIfNeeded: 0xD800 + offset >> 10)
                        units[count + 1] = UInt16(truncatingIfNeeded: 0xDC00 + offset & 0x3FF)
                        count += 2
                    }
                }
                hasher.combine(bytes: UnsafeRawBufferPointer(UnsafeBufferPointer(rebasing: units[..<count])))
            }
        }
        return UInt64(UInt(bitPattern: hasher.finalize()))
    }
}
