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
            let capacity = ScalarBuffer.capacity(for: bytes)
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
    /// counters in registers. Runs of Chinese characters and runs of ASCII, nearly all of a
    /// comment, each have an inner loop of their own; anything else takes the general path.
    private static func write(
        _ bytes: UnsafeBufferPointer<UInt8>, normalized normalizedStorage: UnsafeMutableBufferPointer<UInt32>,
        tokens tokenStorage: UnsafeMutableBufferPointer<UInt32>
    ) -> (normalized: ScalarBuffer, tokens: ScalarBuffer) {
        var normalized = ScalarBuffer(normalizedStorage)
        var tokens = ScalarBuffer(tokenStorage)
        ContactTokenTable.withLookup { table in
            let end = bytes.count
            var index = 0
            while index < end {
                let lead = bytes[index]
                if lead < 0x80 {
                    // ASCII: its normal form (letters lowercased and digits kept, the rest
                    // dropped) and its token, each one lookup.
                    repeat {
                        let value = Int(bytes[index])
                        let mapped = MappedScalar(bits: table.mapping.entries[value])
                        if mapped.isKept { normalized.append(mapped.value) }
                        tokens.append(table.entries[value])
                        index &+= 1
                    } while index < end && bytes[index] < 0x80
                    continue
                }
                if lead &- 0xE4 < 6 && index &+ 2 < end {
                    // A three-byte sequence of U+4000–U+9FFF: a run of quiet ideographs is
                    // itself in the normal form and its first one as the token, the rule of
                    // `ContactTokens.tokenize` (a test holds the two together).
                    let runStart = index
                    repeat {
                        let value =
                            UInt32(bytes[index] & 0x0F) &<< 12 | UInt32(bytes[index &+ 1] & 0x3F) &<< 6
                            | UInt32(bytes[index &+ 2] & 0x3F)
                        guard table.isQuietIdeograph(value) else { break }
                        if index == runStart { tokens.append(value) }
                        normalized.append(value)
                        index &+= 3
                    } while index &+ 2 < end && bytes[index] &- 0xE4 < 6
                    if index > runStart { continue }
                }
                let value = UTF8Scalars.decode(bytes, at: &index)
                table.mapping.forEachMapping(of: value) { mapped in
                    if mapped.isKept { normalized.append(mapped.value) }
                }
                table.forEachToken(of: value) { tokens.append($0) }
            }
        }
        return (normalized, tokens)
    }
}
