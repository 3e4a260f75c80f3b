import Testing

@testable import WliveSpam

@Suite("Text normalisation")
struct TextNormalizerTests {
    @Test func fullWidthBecomesHalfWidth() {
        #expect(TextNormalizer.normalize("ｆｕｃｋ") == "fuck")
        #expect(TextNormalizer.normalize("ＦＵＣＫ　１２３") == "fuck123")
    }

    @Test func spacesPunctuationAndZeroWidthAreRemoved() {
        for disguise in [
            "f u c k", "F.U.C.K", "f\u{200B}uck", "F\u{200B}UCK", "f-u_c*k!", "f\u{FEFF}u\u{2060}c\u{200C}k\u{200D}",
            "Ｆ Ｕ Ｃ Ｋ", "f\tu\nc\rk", "\"f'u`c~k\"", "f\u{00AD}uck", "f\u{3164}uck",
        ] {
            #expect(TextNormalizer.normalize(disguise) == "fuck", "\(disguise.debugDescription)")
        }
    }

    @Test func chinesePunctuationIsRemoved() {
        for disguise in ["傻 . 逼！", "傻、逼。", "傻…逼", "傻·逼", "傻　逼", "傻，逼？", "「傻」『逼』", "傻——逼", "傻~逼", "傻\u{200B}逼"] {
            #expect(TextNormalizer.normalize(disguise) == "傻逼", "\(disguise.debugDescription)")
        }
    }

    @Test func lettersDigitsAndChineseAreKept() {
        #expect(TextNormalizer.normalize("Hello, World! 你好 123") == "helloworld你好123")
        #expect(TextNormalizer.normalize("主播今天好漂亮") == "主播今天好漂亮")
        #expect(TextNormalizer.normalize("一二三〇") == "一二三〇")
        #expect(TextNormalizer.normalize("Привет, Мир") == "приветмир")
    }

    @Test func compatibilityFormsAreFolded() {
        #expect(TextNormalizer.normalize("①②③") == "123")
        #expect(TextNormalizer.normalize("𝐟𝐮𝐜𝐤") == "fuck")
        #expect(TextNormalizer.normalize("ﬁne") == "fine")
        #expect(TextNormalizer.normalize("５㎞") == "5km")
        #expect(TextNormalizer.normalize("Ⓕⓤⓒⓚ") == "fuck")
    }

    @Test func emojiAndSymbolsAreRemoved() {
        #expect(TextNormalizer.normalize("好😀看👍🏻") == "好看")
        #expect(TextNormalizer.normalize("f❤u★c♥k") == "fuck")
        #expect(TextNormalizer.normalize("$100 + 5 = 105") == "1005105")
    }

    @Test func combiningMarksAreStripped() {
        #expect(TextNormalizer.normalize("f\u{0338}u\u{0338}c\u{0338}k\u{0338}") == "fuck")
        #expect(TextNormalizer.normalize("fu\u{0301}ck") == "fuck")
    }

    @Test func emptyAndAllPunctuation() {
        #expect(TextNormalizer.normalize("") == "")
        #expect(TextNormalizer.normalize("!!! ... 。。。") == "")
    }

    @Test func longTextsTakeTheHeapPathAndAgree() {
        // U+FDFA expands to 18 scalars: enough of them overflow the stack buffer.
        let ligatures = String(repeating: "\u{FDFA}", count: 50)
        #expect(TextNormalizer.normalize(ligatures).unicodeScalars.count > 50 * 10)
        let long = String(repeating: "ｆ ｕ ｃ ｋ 你好 ", count: 2000)
        #expect(TextNormalizer.normalize(long) == String(repeating: "fuck你好", count: 2000))
    }
}
