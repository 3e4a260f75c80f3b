/// Decodes a comment once for both of its readings: the normal form (banned words, and the digest
/// the repeat and flood rules compare) and the contact tokens.
///
/// Each reading alone is a table lookup per scalar; decoding UTF-8 costs about as much again,
/// so `SpamFilter` pays for it once. Both buffers live on the stack for comment-sized texts.
enum CommentScanner {
    static func withNormalFormAndTokens<R>(
        _ text: String, _ body: (_ normalized: UnsafeBufferPointer<UInt32>, _ tokens: UnsafeBufferPointer<UInt32>) -> R
    ) -> R {
        text.withUTF8Bytes { bytes in
            let capacity = ScalarBuffer.capacity(forUTF8Count: bytes.count)
            // Two allocations rather than one of twice the size: each stays on the stack.
            let result: R? = withUnsafeTemporaryAllocation(of: UInt32.self, capacity: capacity) { normalizedStorage in
                withUnsafeTemporaryAllocation(of: UInt32.self, capacity: capacity) { tokenStorage in
                    let (normalized, tokens) = write(bytes, normalized: normalizedStorage, tokens: tokenStorage)
                    guard !normalized.overflowed, !tokens.overflowed else { return nil }
                    return body(normalized.written, tokens.written)
                }
            }
            if let result { return result }
            // Texts full of long expansions: each reading on its own, on the heap.
            return TextNormalizer.withNormalizedScalars(text) { normalized in
                ContactTokens.withTokens(text) { tokens in body(normalized, tokens) }
            }
        }
    }

    /// The decoding loop, outside the generic function so that it is compiled once, with its
    /// counters in registers.
    private static func write(
        _ bytes: UnsafeBufferPointer<UInt8>, normalized normalizedStorage: UnsafeMutableBufferPointer<UInt32>,
        tokens tokenStorage: UnsafeMutableBufferPointer<UInt32>
    ) -> (normalized: ScalarBuffer, tokens: ScalarBuffer) {
        var normalized = ScalarBuffer(normalizedStorage)
        var tokens = ScalarBuffer(tokenStorage)
        ContactTokenTable.withLookup { table in
            var inQuietRun = false
            UTF8Scalars.forEach(bytes) { value in
                if table.isQuietIdeograph(value) {
                    // Most of a Chinese comment: itself in the normal form, and a run of them one
                    // token (as `ContactTokens` writes them).
                    normalized.append(value)
                    if !inQuietRun { tokens.append(value) }
                    inQuietRun = true
                    return
                }
                inQuietRun = false
                table.mapping.forEachMapping(of: value) { mapped in
                    if mapped.isKept { normalized.append(mapped.value) }
                }
                table.forEachToken(of: value) { tokens.append($0) }
            }
        }
        return (normalized, tokens)
    }
}
