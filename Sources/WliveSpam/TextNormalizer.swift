/// The banned-word normal form: what remains of a comment once disguises are taken off.
///
/// Each scalar is mapped by Unicode NFKC (full-width `ｆｕｃｋ` becomes `fuck`, `①` becomes `1`,
/// `𝐟` becomes `f`) and lowercased; then spaces, zero-width and other invisible characters,
/// punctuation, symbols (emoji included) and combining diacritics are dropped. So `f u c k`,
/// `F.U.C.K`, `f\u{200B}uck` and `傻 . 逼` all become `fuck` and `傻逼`. Chinese numerals and
/// letters of every script are kept as they are.
///
/// Dictionary words are normalised the same way, so a word matches however it is dressed up.
public enum TextNormalizer {
    /// The normal form of `text`.
    public static func normalize(_ text: String) -> String {
        withNormalizedScalars(text) { scalars in
            var view = String.UnicodeScalarView()
            for value in scalars {
                if let scalar = Unicode.Scalar(value) { view.append(scalar) }
            }
            return String(view)
        }
    }

    /// Runs `body` with the scalar values of `text`'s normal form, in a buffer that lives on the
    /// stack for comment-sized texts: the hot path allocates nothing.
    static func withNormalizedScalars<R>(_ text: String, _ body: (UnsafeBufferPointer<UInt32>) -> R) -> R {
        text.withUTF8Bytes { bytes in
            // A scalar of n bytes maps to at most 2n kept scalars, except for a handful of
            // ligatures such as U+FDFA; texts full of those take the heap below.
            let capacity = bytes.count * 2 + 16
            let result: R? = withUnsafeTemporaryAllocation(of: UInt32.self, capacity: capacity) { buffer in
                guard let count = write(bytes, into: buffer) else { return nil }
                return body(UnsafeBufferPointer(rebasing: buffer[..<count]))
            }
            if let result { return result }
            return normalizedScalars(bytes).withUnsafeBufferPointer(body)
        }
    }

    /// Writes the normal form into `buffer`; nil when it does not fit.
    private static func write(_ bytes: UnsafeBufferPointer<UInt8>, into buffer: UnsafeMutableBufferPointer<UInt32>) -> Int? {
        var count = 0
        var overflow = false
        forEachNormalizedScalar(bytes) { value in
            if count < buffer.count {
                buffer[count] = value
                count += 1
            } else {
                overflow = true
            }
        }
        return overflow ? nil : count
    }

    /// The normal form's scalar values in an array; for loading words and for long texts.
    static func normalizedScalars(_ text: String) -> [UInt32] {
        text.withUTF8Bytes { normalizedScalars($0) }
    }

    private static func normalizedScalars(_ bytes: UnsafeBufferPointer<UInt8>) -> [UInt32] {
        var scalars: [UInt32] = []
        scalars.reserveCapacity(bytes.count)
        forEachNormalizedScalar(bytes) { scalars.append($0) }
        return scalars
    }

    @inline(__always)
    private static func forEachNormalizedScalar(_ bytes: UnsafeBufferPointer<UInt8>, _ body: (UInt32) -> Void) {
        let table = ScalarMappingTable.shared
        table.entries.withUnsafeBufferPointer { entries in
            table.expansions.withUnsafeBufferPointer { expansions in
                UTF8Scalars.forEach(bytes) { value in
                    ScalarMappingTable.forEachMapping(of: value, entries: entries, expansions: expansions) { mapped in
                        if mapped.isKept { body(mapped.value) }
                    }
                }
            }
        }
    }
}
