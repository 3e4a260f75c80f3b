/// The contact tokens of every BMP scalar, worked out once: tokenising a comment is then one
/// lookup per scalar, like the normal form's `ScalarMappingTable`.
struct ContactTokenTable: Sendable {
    /// One entry per BMP scalar: a token, or with bit 31 set an expansion (offset in bits 0–19,
    /// length in bits 20–27) into `expansions`.
    let entries: [UInt32]
    let expansions: [UInt32]
    /// A bit per CJK Unified Ideograph (U+4E00–U+9FFF) that is not quiet (see `isQuietIdeograph`).
    let loudIdeographs: [UInt64]

    static let shared = ContactTokenTable()

    private init() {
        var entries = [UInt32](repeating: 0, count: 0x1_0000)
        var expansions: [UInt32] = []
        var loudIdeographs = [UInt64](repeating: 0, count: 0x5200 / 64)
        let significant = Set(ContactDetector.significantScalars)
        for value in UInt32(0)..<0x1_0000 {
            let tokens = ContactTokens.tokens(of: value)
            if tokens.count == 1 {
                entries[Int(value)] = tokens[0]
            } else {
                entries[Int(value)] = 1 << 31 | UInt32(tokens.count) << 20 | UInt32(expansions.count)
                expansions += tokens
            }
            if value &- 0x4E00 < 0x5200 && (tokens != [value] || significant.contains(value)) {
                let bit = Int(value - 0x4E00)
                loudIdeographs[bit >> 6] |= 1 << UInt64(bit & 63)
            }
        }
        self.entries = entries
        self.expansions = expansions
        self.loudIdeographs = loudIdeographs
    }

    /// The table as pointers, for loops that tokenise every scalar of a comment.
    struct Lookup {
        let entries: UnsafeBufferPointer<UInt32>
        let expansions: UnsafeBufferPointer<UInt32>
        let loudIdeographs: UnsafeBufferPointer<UInt64>
        /// For scalars beyond the BMP, where only the NFKC mapping applies.
        let mapping: ScalarMappingTable.Lookup

        /// Whether `value` is a quiet CJK Unified Ideograph: its own token, and neither in a
        /// contact keyword nor a filler between a keyword and its id. That is nearly every
        /// character of a Chinese comment; the contact rules treat them all alike (they end
        /// numbers and ids, and start nothing), so a run of them is written as its first one.
        /// Found in a bitmap small enough to stay in the L1 cache.
        @inline(__always)
        func isQuietIdeograph(_ value: UInt32) -> Bool {
            let bit = Int(truncatingIfNeeded: value &- 0x4E00)
            return value &- 0x4E00 < 0x5200 && loudIdeographs[bit >> 6] &>> UInt64(bit & 63) & 1 == 0
        }

        /// Calls `emit` with the tokens of one scalar.
        @inline(__always)
        func forEachToken(of value: UInt32, _ emit: (UInt32) -> Void) {
            if value < 0x1_0000 {
                let entry = entries[Int(value)]
                if entry & 1 << 31 == 0 {
                    emit(entry)
                } else {
                    let start = Int(entry & 0xF_FFFF)
                    for index in start..<start + Int(entry >> 20 & 0xFF) { emit(expansions[index]) }
                }
            } else {
                // Emoji, mathematical letters, CJK extensions: one lookup, no allocation.
                mapping.forEachMapping(of: value) { emit(ContactTokens.token(for: $0)) }
            }
        }
    }

    /// Runs `body` with a `Lookup` of the shared tables.
    @inline(__always)
    static func withLookup<R>(_ body: (Lookup) -> R) -> R {
        let table = shared
        return ScalarMappingTable.withLookup { mapping in
            table.entries.withUnsafeBufferPointer { entries in
                table.expansions.withUnsafeBufferPointer { expansions in
                    table.loudIdeographs.withUnsafeBufferPointer { loudIdeographs in
                        body(Lookup(entries: entries, expansions: expansions, loudIdeographs: loudIdeographs, mapping: mapping))
                    }
                }
            }
        }
    }
}
