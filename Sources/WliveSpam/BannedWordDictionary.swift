import Foundation

/// The banned words, compiled into an automaton that finds any of them in one pass over a comment.
///
/// Immutable once built, so one instance is shared by every loop; reloading the file (on SIGHUP)
/// builds a new dictionary and swaps it in with `SpamFilter.replaceDictionary(_:)`.
///
/// Words are stored in `TextNormalizer`'s normal form and matched as substrings of the comment's
/// normal form, which Chinese needs (there are no spaces between words). The flip side is that a
/// short English word also matches inside longer ones, so the dictionary should not list words
/// such as "ass" that hide in "class".
public final class BannedWordDictionary: Sendable {
    /// The distinct normalised words; a match reports an index into it.
    let words: [String]
    let automaton: AhoCorasickAutomaton

    /// Compiles `words`. Each is normalised; words that normalise to nothing (only punctuation,
    /// say) and duplicates are dropped.
    public init(words: [String]) {
        var seen = Set<[UInt32]>()
        var patterns: [[UInt32]] = []
        var normalized: [String] = []
        for word in words {
            let scalars = TextNormalizer.normalizedScalars(word)
            guard !scalars.isEmpty, seen.insert(scalars).inserted else { continue }
            patterns.append(scalars)
            normalized.append(String(String.UnicodeScalarView(scalars.compactMap(Unicode.Scalar.init))))
        }
        self.words = normalized
        self.automaton = AhoCorasickAutomaton(patterns: patterns)
    }

    /// Loads a dictionary file: UTF-8, one word per line; see `parse(_:)`.
    public convenience init(contentsOfFile path: String) throws {
        let text = try String(contentsOfFile: path, encoding: .utf8)
        self.init(words: Self.parse(text))
    }

    /// The words of a dictionary file: one per line, surrounding whitespace ignored; blank lines
    /// and everything from a `#` to the end of its line are comments. (A `#` inside a word would
    /// be normalised away anyway.)
    public static func parse(_ fileText: String) -> [String] {
        var words: [String] = []
        for line in fileText.split(omittingEmptySubsequences: true, whereSeparator: { $0 == "\n" || $0 == "\r\n" || $0 == "\r" })
        {
            let content = line.prefix { $0 != "#" }
            let word = content.trimmingCharacters(in: .whitespaces)
            if !word.isEmpty { words.append(word) }
        }
        return words
    }

    /// The number of distinct words after normalisation.
    public var wordCount: Int { words.count }

    /// The first banned word in `text`'s normal form, as normalised, or nil if there is none.
    public func firstMatch(in text: String) -> String? {
        TextNormalizer.withNormalizedScalars(text) { firstMatch(normalized: $0) }
    }

    /// The first banned word in an already normalised text.
    func firstMatch(normalized: UnsafeBufferPointer<UInt32>) -> String? {
        automaton.firstMatch(in: normalized).map { words[$0] }
    }
}
