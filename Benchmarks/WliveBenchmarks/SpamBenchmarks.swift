import Benchmark
import WliveSpam

/// The spam pipeline on its clean path, the one nearly every comment takes: a 10,000-word
/// dictionary, 64 different 100-character comments of mixed Chinese and ASCII, and default
/// settings. Users and channels rotate (1,009 users over 997 channels, 2 ms of clock per check),
/// so no comment is rate-limited, repeated or flooded, and every check runs all five rules and
/// records its comment. The filter lives across samples, so its tables reach their steady size
/// (tens of thousands of entries, as on a busy gateway) instead of starting empty every sample.
func registerSpamBenchmarks() {
    let dictionary = BannedWordDictionary(words: SpamBenchmarkData.dictionaryWords())
    let comments = SpamBenchmarkData.cleanComments(dictionary: dictionary)
    let users = (0..<1009).map { "2:\(100_000 + $0)" }
    let state = SpamBenchmarkData.FilterState(filter: SpamFilter(dictionary: dictionary))

    Benchmark("Spam filter check (clean, 100 chars, 10k words)") { benchmark in
        for _ in benchmark.scaledIterations {
            blackHole(
                state.filter.check(
                    channel: UInt64(state.channel), user: users[state.user],
                    content: comments[state.comment], now: Double(state.next) * 0.002))
            state.advance(users: users.count, comments: comments.count)
        }
    }

    Benchmark("Banned-word match only (100 chars, 10k words)") { benchmark in
        var index = 0
        for _ in benchmark.scaledIterations {
            blackHole(dictionary.firstMatch(in: comments[index % comments.count]))
            index += 1
        }
    }
}

// BEGIN SpamBenchmarkData (shared verbatim with the standalone harness)
/// Deterministic test data: the same dictionary and comments on every run and machine.
enum SpamBenchmarkData {
    /// A filter and its position in the rotation, kept from one sample to the next. The
    /// positions are counters that wrap (check n uses channel n % 997, user n % 1,009 and comment
    /// n % 64) rather than remainders, so that the loop times the filter and not three divisions.
    final class FilterState {
        var filter: SpamFilter
        var next = 0
        var channel = 0
        var user = 0
        var comment = 0
        init(filter: SpamFilter) { self.filter = filter }

        func advance(users: Int, comments: Int) {
            next += 1
            channel = channel == 996 ? 0 : channel + 1
            user = user == users - 1 ? 0 : user + 1
            comment = comment == comments - 1 ? 0 : comment + 1
        }
    }

    /// A small xorshift generator: reproducible, unlike `SystemRandomNumberGenerator`.
    struct Generator {
        var state: UInt64
        mutating func next() -> UInt64 {
            state ^= state << 13
            state ^= state >> 7
            state ^= state << 17
            return state
        }
        mutating func below(_ bound: Int) -> Int { Int(next() % UInt64(bound)) }
    }

    /// Characters of everyday Chinese, without the numerals, 点 and 加, which the contact rule reads.
    static let han = Array(
        """
        的是不了人我在有他这中大来上国个到说们为子和你地出道也时年得就那要下以生会自着去之过家学对可里后小么心多天而\
        能好都然没日于起还发成事只作当想看文无开手用主行方又如前所本见经头面公同已老从动长知民样现分将外但身些与高意进\
        把法此实回理美月明其种声全工己话儿者向情部正名定女问力机给等很业最间新什打便位因重被走电第门相次东政海口使教\
        西再平真听世气信北少关并内化由却代军产入先山太水市眼体别处总才场师书比住员笑性通目华报立马命张活难神数件安表\
        原车白应路期叫死常提感金何更反合放做系计或司利受光王果亲界及今京务制解各任至清物台象记边共风战干接它许特觉望\
        直服毛林题建南度统色字请交爱让认算论吃义科怎元社术结功指思非流每青管夫连远资队跟带花快条院变联言权往展该领传\
        近留红治决周保达办运武半候必城父强步完革深区即求品士转量空甚众技轻程告江语英基派满式李息写呢识极令黄德收脸钱
        """.filter { $0 != "\n" })
    static let english = [
        "hello", "stream", "love", "great", "nice", "game", "wow", "lol", "gg", "so", "cool", "haha",
        "today", "music", "song", "thanks", "good", "night", "the", "is", "this", "best", "play", "again",
    ]
    static let cheers = ["666", "2333", "!!", "？", "~", "。", "，", "😀", "👍", "🎉", "哈哈", "好", "..."]

    /// 10,000 distinct words: half 2–4 Chinese characters, half 4–8 lowercase ASCII letters.
    static func dictionaryWords(count: Int = 10_000) -> [String] {
        var generator = Generator(state: 0x9E37_79B9_7F4A_7C15)
        var words = Set<String>()
        var ordered: [String] = []
        while ordered.count < count {
            let word: String
            if ordered.count % 2 == 0 {
                word = String((0..<2 + generator.below(3)).map { _ in han[generator.below(han.count)] })
            } else {
                let letters = (0..<4 + generator.below(5)).map { _ in Character(Unicode.Scalar(UInt8(0x61 + generator.below(26))))
                }
                word = String(letters)
            }
            if words.insert(word).inserted { ordered.append(word) }
        }
        return ordered
    }

    /// `count` comments of exactly 100 characters that no rule refuses: mostly Chinese, with
    /// English words, cheering numbers, punctuation and emoji mixed in.
    static func cleanComments(dictionary: BannedWordDictionary, count: Int = 64) -> [String] {
        var generator = Generator(state: 0xD1B5_4A32_D192_ED03)
        let detector = ContactDetector()
        var comments: [String] = []
        while comments.count < count {
            var text = ""
            while text.count < 100 {
                switch generator.below(10) {
                case 0..<6: text += String((0..<1 + generator.below(6)).map { _ in han[generator.below(han.count)] })
                case 6..<8: text += " " + english[generator.below(english.count)] + " "
                default: text += cheers[generator.below(cheers.count)]
                }
            }
            text = String(text.prefix(100))
            if dictionary.firstMatch(in: text) == nil && !detector.containsContact(text) { comments.append(text) }
        }
        return comments
    }
}
// END SpamBenchmarkData
