#if canImport(Glibc)
    import Glibc
#endif

/// Searches in received bytes (frames, HTTP bodies) without decoding them to a `String`: the
/// load generator reads every message and every answer, so these run at the full load.
extension UnsafeRawBufferPointer {
    /// Whether `tag` is at `offset`.
    func has(_ tag: [UInt8], at offset: Int) -> Bool {
        guard offset >= 0, offset + tag.count <= count else { return false }
        for index in tag.indices where self[offset + index] != tag[index] { return false }
        return true
    }

    /// Where `tag` first starts: memchr finds each candidate first byte (fast on long payloads),
    /// then the rest is compared.
    func firstIndex(of tag: [UInt8]) -> Int? {
        guard let base = baseAddress, let first = tag.first else { return nil }
        var start = 0
        while start + tag.count <= count, let found = memchr(base + start, Int32(first), count - start - tag.count + 1) {
            let offset = UnsafeRawPointer(found) - base
            if has(tag, at: offset) { return offset }
            start = offset + 1
        }
        return nil
    }
}
