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
            ScalarBuffer.withValues(of: bytes, written: { forEachNormalizedScalar(bytes, $0) }, body)
        }
    }

    /// The normal form's scalar values in an array; for loading words.
    static func normalizedScalars(_ text: String) -> [UInt32] {
        withNormalizedScalars(text) { Array($0) }
    }

    @inline(__always)
    private static func forEachNormalizedScalar(_ bytes: UnsafeBufferPointer<UInt8>, _ body: (UInt32) -> Void) {
        ScalarMappingTable.withLookup { mapping in
            UTF8Scalars.forEach(bytes) { value in
                mapping.forEachMapping(of: value) { mapped in
                    if mapped.isKept { body(mapped.value) }
                }
            }
        }
    }
}
