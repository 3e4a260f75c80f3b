import Testing

@testable import WliveSpam

/// The disguises the issue names must all normalise to the same word.
@Suite("Normalisation disguises")
struct NormalizationSmokeTests {
    @Test(arguments: ["f u c k", "ｆｕｃｋ", "f.u.c.k", "F\u{200B}UCK", "FUCK"])
    func disguisesMatchTheWord(text: String) {
        let dictionary = BannedWordDictionary(words: ["fuck"])
        #expect(dictionary.firstMatch(in: text) != nil)
    }

    @Test func cleanTextDoesNotMatch() {
        let dictionary = BannedWordDictionary(words: ["fuck", "傻逼"])
        #expect(dictionary.firstMatch(in: "主播今天好漂亮 I love this stream") == nil)
        #expect(dictionary.firstMatch(in: "你个 傻 逼") != nil)
    }
}
