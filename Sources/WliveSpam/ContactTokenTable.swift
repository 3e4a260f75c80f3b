/// The contact tokens of every BMP scalar, worked out once: tokenising a comment is then one
/// lookup per scalar, like the normal form's `ScalarMappingTable`.
struct ContactTokenTable: Sendable {
    /// One entry per BMP scalar: a token, or with bit 31 set an expansion (offset in bits 0–19,
    /// length in bits 20–27) into `expansions`.
    let entries: [UInt32]
    let expansions: [UInt32]
    /// A bit per CJK Unified Ideograph (U+4E00–U+9FFF) whose token is not itself.
    let ideographs: [UInt64]

    static let shared = ContactTokenTable()

    private init() {
        var entries = [UInt32](repeating: 0, count: 0x1_0000)
        var expansions: [UInt32] = []
        var ideographs = [UInt64](repeating: 0, count: 0x5200 / 64)
        for value in UInt32(0)..<0x1_0000 {
            let tokens = ContactTokens.tokens(of: value)
            if tokens.count == 1 {
                entries[Int(value)] = tokens[0]
            } else {
                entries[Int(value)] = 1 << 31 | UInt32(tokens.count) << 20 | UInt32(expansions.count)
                expansions += tokens
            }
            if value &- 0x4E00 < 0x5200 && tokens != [value] {
                let bit = Int(value - 0x4E00)
                ideographs[bit >> 6] |= 1 << UInt64(bit & 63)
            }
        }
        self.entries = entries
        self.expansions = expansions
        self.ideographs = ideographs
    }
}
