/// A 64-bit digest of a comment's normal form: what the repeat and flood rules compare and keep,
/// so that their tables hold eight bytes per text rather than the text.
///
/// The digest is `Hasher`'s, seeded at random per process, so a poster cannot craft a text that
/// collides with someone else's to get it refused. A text that normalises to nothing (only emoji
/// or punctuation) is digested as written instead, so that "😀" and "👍" stay different.
enum TextDigest {
    static func of(normalized: UnsafeBufferPointer<UInt32>, original: String) -> UInt64 {
        var hasher = Hasher()
        if normalized.isEmpty {
            hasher.combine(0xFF as UInt8)
            original.withUTF8Bytes { hasher.combine(bytes: UnsafeRawBufferPointer($0)) }
        } else {
            hasher.combine(bytes: UnsafeRawBufferPointer(normalized))
        }
        return UInt64(UInt(bitPattern: hasher.finalize()))
    }
}
