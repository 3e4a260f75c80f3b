import Foundation
import Testing

@testable import WliveSpam

@Suite("Banned-word dictionary")
struct BannedWordDictionaryTests {
    let dictionary = BannedWordDictionary(words: ["fuck", "傻逼", "约炮", "操你妈", "motherfucker", "裸聊"])

    @Test func disguisedEnglishMatches() {
        for text in ["f u c k you", "ｆｕｃｋ", "F.U.C.K", "F\u{200B}UCK", "what the FUCK!!", "f-u-c-k off", "𝐟𝐮𝐜𝐤"] {
            #expect(dictionary.firstMatch(in: text) == "fuck", "\(text.debugDescription)")
        }
    }

    @Test func disguisedChineseMatches() {
        #expect(dictionary.firstMatch(in: "你是 傻 . 逼 吗") == "傻逼")
        #expect(dictionary.firstMatch(in: "傻\u{200B}逼") == "傻逼")
        #expect(dictionary.firstMatch(in: "想约-炮吗？") == "约炮")
        #expect(dictionary.firstMatch(in: "操、你、妈！！") == "操你妈")
        #expect(dictionary.firstMatch(in: "来裸 聊😏") == "裸聊")
    }

    @Test func cleanTextDoesNotMatch() {
        for text in [
            "主播今天好漂亮", "666", "2333", "哈哈哈哈哈", "I love this stream 100 times", "I watched 3 streams today",
            "class is over", "", "傻瓜", "约会", "fun clicks",
        ] {
            #expect(dictionary.firstMatch(in: text) == nil, "\(text.debugDescription)")
        }
    }

    @Test func wordsAreNormalisedWhenLoaded() {
        let disguised = BannedWordDictionary(words: ["Ｆ.U.C.K", "傻 逼", "fuck", "!!!", "", "  "])
        #expect(disguised.wordCount == 2)
        #expect(disguised.firstMatch(in: "fuck") == "fuck")
        #expect(disguised.firstMatch(in: "傻逼") == "傻逼")
    }

    @Test func theWordEndingFirstIsReported() {
        let words = BannedWordDictionary(words: ["abcd", "bc"])
        #expect(words.firstMatch(in: "xabcdx") == "bc")
        // "she" and "he" end together: the longer is reported; failure links find "he" in "ushers" either way.
        let classic = BannedWordDictionary(words: ["he", "she", "his", "hers"])
        #expect(classic.firstMatch(in: "ushers") == "she")
        #expect(classic.firstMatch(in: "this") == "his")
        #expect(BannedWordDictionary(words: ["hers"]).firstMatch(in: "ushers") == "hers")
    }

    @Test func emptyDictionaryMatchesNothing() {
        let empty = BannedWordDictionary(words: [])
        #expect(empty.wordCount == 0)
        #expect(empty.firstMatch(in: "anything at all 任何东西") == nil)
    }

    @Test func parseSkipsCommentsAndBlankLines() {
        let file = "# Banned words\n\nfuck\r\n  傻逼  \n# another comment\nspam word # trailing comment\n\t\n约炮"
        #expect(BannedWordDictionary.parse(file) == ["fuck", "傻逼", "spam word", "约炮"])
        #expect(BannedWordDictionary.parse("") == [])
        #expect(BannedWordDictionary.parse("#only\n# comments\n") == [])
    }

    @Test func loadsFromAFile() throws {
        let path = FileManager.default.temporaryDirectory.appendingPathComponent(
            "wlive-banned-\(UInt32.random(in: 0...UInt32.max)).txt"
        ).path
        try "# test\nfuck\n\n傻逼\n".write(toFile: path, atomically: true, encoding: .utf8)
        defer { try? FileManager.default.removeItem(atPath: path) }
        let loaded = try BannedWordDictionary(contentsOfFile: path)
        #expect(loaded.wordCount == 2)
        #expect(loaded.firstMatch(in: "傻 逼") == "傻逼")
        #expect(throws: (any Error).self) { try BannedWordDictionary(contentsOfFile: path + ".missing") }
    }

    @Test func theStarterDictionaryLoadsAndSparesOrdinaryComments() throws {
        let path = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent().appendingPathComponent("config/banned-words.txt").path
        let starter = try BannedWordDictionary(contentsOfFile: path)
        #expect(starter.wordCount >= 100)
        for text in [
            "主播今天好漂亮", "666", "2333", "哈哈哈哈哈", "class is over", "I love this stream 100 times",
            "I watched 3 streams today", "hello everyone", "Scunthorpe United", "assassin's creed", "shell script",
            "这首歌真好听", "谢谢大家的礼物", "明天几点开播？", "the cocktail party", "analysis of the game",
        ] {
            #expect(starter.firstMatch(in: text) == nil, "\(text) matched \(starter.firstMatch(in: text) ?? "")")
        }
        for text in ["F U C K", "ｆｕｃｋ", "傻 逼", "约-炮吗", "网。赌", "代 开 发 票", "Mother F.U.C.K.E.R"] {
            #expect(starter.firstMatch(in: text) != nil, "\(text)")
        }
    }

    @Test func agreesWithANaiveSearch() {
        var generator = SpamBenchmarkTestGenerator(state: 0x5EED)
        let alphabet = Array("abcd07傻逼约炮")  // letters and digits step through dense rows, the rest through records
        for round in 0..<300 {
            let words = (0..<1 + generator.below(round % 10 == 0 ? 200 : 12)).map { _ in
                String((0..<1 + generator.below(4)).map { _ in alphabet[generator.below(alphabet.count)] })
            }
            let dictionary = BannedWordDictionary(words: words)
            for _ in 0..<10 {
                let text = String((0..<generator.below(24)).map { _ in alphabet[generator.below(alphabet.count)] })
                let scalars = text.unicodeScalars.map(\.value)
                // The naive answer: the smallest end position of any word, then the longest word ending there.
                var expected: String?
                search: for end in scalars.indices {
                    for length in stride(from: end + 1, through: 1, by: -1) {
                        let candidate = String(
                            String.UnicodeScalarView(scalars[(end + 1 - length)...end].compactMap(Unicode.Scalar.init)))
                        if dictionary.words.contains(candidate) {
                            expected = candidate
                            break search
                        }
                    }
                }
                #expect(dictionary.firstMatch(in: text) == expected, "words \(words) text \(text)")
            }
        }
    }

    @Test func aTenThousandWordDictionaryStaysSmall() {
        var generator = SpamBenchmarkTestGenerator(state: 42)
        let han = Array("的是不了人我在有他这中大来上国个到说们为子和你地出道也时年得就那要下以生会自着去之过家学对可里后小么心多天而能好都然没日于起还发成事只作当想看文无开手用主行方")
        var words = Set<String>()
        while words.count < 10_000 {
            if words.count % 2 == 0 {
                words.insert(String((0..<2 + generator.below(3)).map { _ in han[generator.below(han.count)] }))
            } else {
                words.insert(
                    String((0..<4 + generator.below(5)).map { _ in Character(Unicode.Scalar(UInt8(0x61 + generator.below(26)))) })
                )
            }
        }
        let dictionary = BannedWordDictionary(words: Array(words))
        #expect(dictionary.wordCount == 10_000)
        #expect(dictionary.automaton.memoryFootprint < 4 << 20)
        for word in words.prefix(500) {
            #expect(dictionary.firstMatch(in: "«\(word)»") != nil)
        }
    }

    @Test func isSharedAcrossTasks() async {
        let shared = dictionary
        let found = await withTaskGroup(of: Bool.self) { group in
            for _ in 0..<4 {
                group.addTask { shared.firstMatch(in: "f u c k") == "fuck" && shared.firstMatch(in: "hello") == nil }
            }
            return await group.reduce(true) { $0 && $1 }
        }
        #expect(found)
    }
}

/// A deterministic xorshift generator for reproducible test data.
struct SpamBenchmarkTestGenerator {
    var state: UInt64
    mutating func next() -> UInt64 {
        state ^= state << 13
        state ^= state >> 7
        state ^= state << 17
        return state
    }
    mutating func below(_ bound: Int) -> Int { Int(next() % UInt64(bound)) }
}
