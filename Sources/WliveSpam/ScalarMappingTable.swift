import Foundation

/// What a scalar is once mapped, which decides whether a normal form keeps it.
enum ScalarClass: UInt32 {
    /// Letters, digits and other content: kept.
    case kept = 0
    /// Spaces, controls, zero-width and other default-ignorable characters.
    case invisible = 1
    /// Punctuation (general categories P*).
    case punctuation = 2
    /// Symbols (S*), emoji included.
    case symbol = 3
    /// Combining diacritics and enclosing marks, stripped so that "f̸u̸c̸k̸" and "fuck" look alike.
    case mark = 4
}

/// One mapped scalar: the scalar value in bits 0–20 and its `ScalarClass` in bits 21–23.
struct MappedScalar: Equatable {
    let bits: UInt32

    init(bits: UInt32) { self.bits = bits }
    init(_ value: UInt32, _ kind: ScalarClass) { bits = value | kind.rawValue << 21 }

    var value: UInt32 { bits & 0x1F_FFFF }
    var kind: ScalarClass { ScalarClass(rawValue: bits >> 21 & 7) ?? .kept }
    var isKept: Bool { bits >> 21 == 0 }
}

/// The per-scalar compatibility mapping behind both normal forms: NFKC, then lowercase, then a class.
///
/// Running Foundation's NFKC over every comment costs microseconds and allocations, far too much
/// for half a million checks a second. Every scalar of planes 0 and 1 is therefore mapped once,
/// when the table is first used (some 30 ms, once per process: only the few thousand scalars
/// whose NFKC or lowercase differ go through Foundation), and a check is then a table lookup per
/// scalar; the table takes 512 KB. Higher planes are CJK extensions, tags and private use,
/// classified by range.
///
/// The mapping is per scalar: NFKC's canonical composition across scalars (a base letter plus a
/// combining accent) is not done; combining diacritics are dropped instead, which suits matching.
struct ScalarMappingTable: Sendable {
    /// One entry per scalar below `Self.limit`: a `MappedScalar`, or with bit 31 set an expansion
    /// (offset in bits 0–19, length in bits 20–27) into `expansions`.
    let entries: [UInt32]
    /// Mapped scalars of the characters that expand to several, such as "⑩" → "10" or "㎞" → "km".
    let expansions: [UInt32]

    /// The table covers the Basic Multilingual Plane and the Supplementary Multilingual Plane.
    static let limit: UInt32 = 0x2_0000

    /// Built on first use, shared by every dictionary, detector and thread.
    static let shared = ScalarMappingTable()

    private init() {
        var entries = [UInt32](repeating: 0, count: Int(Self.limit))
        var expansions: [UInt32] = []
        for value in 0..<Self.limit {
            if Self.isPlainIdeographOrSyllable(value) {
                entries[Int(value)] = MappedScalar(value, .kept).bits
                continue
            }
            let mapped = Self.map(value)
            if mapped.count == 1 {
                entries[Int(value)] = mapped[0].bits
            } else {
                // The empty mapping (NFKC_CF removes a few characters) becomes an empty expansion.
                entries[Int(value)] = 1 << 31 | UInt32(mapped.count) << 20 | UInt32(expansions.count)
                expansions += mapped.map(\.bits)
            }
        }
        self.entries = entries
        self.expansions = expansions
    }

    /// CJK ideographs, Hangul syllables, surrogates and private use: kept as they are, without
    /// asking for properties (two thirds of the BMP, most of the table's construction time).
    private static func isPlainIdeographOrSyllable(_ value: UInt32) -> Bool {
        (0x3400...0x4DBF).contains(value) || (0x4E00...0x9FFF).contains(value) || (0xAC00...0xD7A3).contains(value)
            || (0xD800...0xF8FF).contains(value)
    }

    /// The table as pointers, for loops that map every scalar of a comment.
    struct Lookup {
        let entries: UnsafeBufferPointer<UInt32>
        let expansions: UnsafeBufferPointer<UInt32>

        /// Calls `body` with each scalar `value` maps to: usually one, none or several for a few.
        @inline(__always)
        func forEachMapping(of value: UInt32, _ body: (MappedScalar) -> Void) {
            if value &- 0x4E00 < 0x5200 {
                // CJK Unified Ideographs, the bulk of Chinese text: unchanged, no lookup.
                body(MappedScalar(value, .kept))
            } else if value < ScalarMappingTable.limit {
                let entry = entries[Int(value)]
                if entry & 1 << 31 == 0 {
                    body(MappedScalar(bits: entry))
                } else {
                    let start = Int(entry & 0xF_FFFF)
                    for index in start..<start + Int(entry >> 20 & 0xFF) {
                        body(MappedScalar(bits: expansions[index]))
                    }
                }
            } else if value >= 0xE0000 && value <= 0xE0FFF {
                body(MappedScalar(value, .invisible))  // tags and variation selectors supplement
            } else if value >= 0x2F800 && value <= 0x2FA1F {
                // CJK compatibility ideographs supplement: rare, mapped by Foundation when met.
                for mapped in ScalarMappingTable.map(value) { body(mapped) }
            } else {
                body(MappedScalar(value, .kept))  // CJK extensions B–J and private use
            }
        }
    }

    /// Runs `body` with a `Lookup` of the shared table.
    @inline(__always)
    static func withLookup<R>(_ body: (Lookup) -> R) -> R {
        let table = shared
        return table.entries.withUnsafeBufferPointer { entries in
            table.expansions.withUnsafeBufferPointer { expansions in
                body(Lookup(entries: entries, expansions: expansions))
            }
        }
    }

    /// Maps one scalar from first principles; used to build the table.
    static func map(_ value: UInt32) -> [MappedScalar] {
        if value < 0x80 {
            switch value {
            case 0x41...0x5A: return [MappedScalar(value + 0x20, .kept)]
            case 0x61...0x7A, 0x30...0x39: return [MappedScalar(value, .kept)]
            case 0x00...0x20, 0x7F: return [MappedScalar(value, .invisible)]
            default: return [MappedScalar(value, .punctuation)]
            }
        }
        guard let scalar = Unicode.Scalar(value) else { return [MappedScalar(value, .kept)] }  // surrogates
        let properties = scalar.properties
        // Most scalars are their own NFKC and lowercase; asking Foundation only for the others
        // keeps the table's construction short.
        guard properties.changesWhenNFKCCaseFolded || properties.changesWhenLowercased else {
            return [MappedScalar(value, classify(scalar))]
        }
        let mapped = String(Character(scalar)).precomposedStringWithCompatibilityMapping.lowercased()
        return mapped.unicodeScalars.map { MappedScalar($0.value, classify($0)) }
    }

    static func classify(_ scalar: Unicode.Scalar) -> ScalarClass {
        let value = scalar.value
        if value < 0x80 {
            switch value {
            case 0x61...0x7A, 0x41...0x5A, 0x30...0x39: return .kept
            case 0x00...0x20, 0x7F: return .invisible
            default: return .punctuation
            }
        }
        let properties = scalar.properties
        // Hangul fillers and the like are letters, yet render as nothing: spammers use them as spaces.
        if properties.isDefaultIgnorableCodePoint { return .invisible }
        switch properties.generalCategory {
        case .spaceSeparator, .lineSeparator, .paragraphSeparator, .control, .format:
            return .invisible
        case .connectorPunctuation, .dashPunctuation, .openPunctuation, .closePunctuation,
            .initialPunctuation, .finalPunctuation, .otherPunctuation:
            return .punctuation
        case .mathSymbol, .currencySymbol, .modifierSymbol, .otherSymbol:
            return .symbol
        case .enclosingMark:
            return .mark
        case .nonspacingMark:
            switch value {
            case 0x0300...0x036F, 0x1AB0...0x1AFF, 0x1DC0...0x1DFF, 0x20D0...0x20FF, 0xFE20...0xFE2F, 0x3099...0x309A:
                return .mark
            default:
                return .kept  // vowel signs and the like carry meaning in their scripts
            }
        default:
            return .kept
        }
    }
}
