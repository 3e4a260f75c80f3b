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
            let capacity = bytes.count * 2 + 16  // per reading; see TextNormalizer
            let result: R? = withUnsafeTemporaryAllocation(of: UInt32.self, capacity: 2 * capacity) { buffer in
                let normalized = UnsafeMutableBufferPointer(rebasing: buffer[..<capacity])
                let tokens = UnsafeMutableBufferPointer(rebasing: buffer[capacity...])
                guard let (normalizedCount, tokenCount) = write(bytes, normalized: normalized, tokens: tokens) else { return nil }
                return body(UnsafeBufferPointer(rebasing: normalized[..<normalizedCount]),
                            UnsafeBufferPointer(rebasing: tokens[..<tokenCount]))
            }
            if let result { return result }
            // Texts full of long expansions: each reading on its own, on the heap.
            return TextNormalizer.withNormalizedScalars(text) { normalized in
                ContactTokens.withTokens(text) { tokens in body(normalized, tokens) }
            }
        }
    }

    /// Writes both readings; nil when either does not fit.
    private static func write(
        _ bytes: UnsafeBufferPointer<UInt8>, normalized: UnsafeMutableBufferPointer<UInt32>, tokens: UnsafeMutableBufferPointer<UInt32>
    ) -> (Int, Int)? {
        let mapping = ScalarMappingTable.shared
        let contact = ContactTokenTable.shared
        return mapping.entries.withUnsafeBufferPointer { mappingEntries in
            mapping.expansions.withUnsafeBufferPointer { mappingExpansions in
                contact.entries.withUnsafeBufferPointer { contactEntries in
                    contact.expansions.withUnsafeBufferPointer { contactExpansions in
                        contact.ideographs.withUnsafeBufferPointer { ideographs in
                            var normalizedCount = 0
                            var tokenCount = 0
                            var overflow = false
                            UTF8Scalars.forEach(bytes) { value in
                                if value &- 0x4E00 < 0x5200 {
                                    // A CJK ideograph, most of a Chinese comment: itself in the normal
                                    // form, and a token of its own unless the bitmap says otherwise.
                                    let bit = Int(value &- 0x4E00)
                                    let token = ideographs[bit >> 6] &>> UInt64(bit & 63) & 1 == 0 ? value : contactEntries[Int(value)]
                                    guard normalizedCount < normalized.count, tokenCount < tokens.count else {
                                        overflow = true
                                        return
                                    }
                                    normalized[normalizedCount] = value
                                    normalizedCount += 1
                                    tokens[tokenCount] = token
                                    tokenCount += 1
                                    return
                                }
                                ScalarMappingTable.forEachMapping(of: value, entries: mappingEntries, expansions: mappingExpansions) { mapped in
                                    guard mapped.isKept else { return }
                                    if normalizedCount < normalized.count {
                                        normalized[normalizedCount] = mapped.value
                                        normalizedCount += 1
                                    } else {
                                        overflow = true
                                    }
                                }
                                ContactTokens.forEachToken(of: value, entries: contactEntries, expansions: contactExpansions) { token in
                                    if tokenCount < tokens.count {
                                        tokens[tokenCount] = token
                                        tokenCount += 1
                                    } else {
                                        overflow = true
                                    }
                                }
                            }
                            return overflow ? nil : (normalizedCount, tokenCount)
                        }
                    }
                }
            }
        }
    }
}
