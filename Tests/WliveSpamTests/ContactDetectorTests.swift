import Testing

@testable import WliveSpam

@Suite("Contact detection")
struct ContactDetectorTests {
    let detector = ContactDetector()

    @Test func phoneNumbersInDisguise() {
        for text in [
            "138 0013 8000", "13800138000", "138-0013-8000", "138.0013.8000", "１３８００１３８０００", "+86 138 0013 8000",
            "一三八零零一三八零零零", "幺三八两两三四五六七八", "壹叁捌零零壹叁捌零零零", "①③⑧⓪⓪①③⑧⓪⓪⓪", "⑴⑶⑻⑴⑵⑶⑷",
            "⒈⒊⒏⒈⒉⒊⒋", "❶❸❽❶❷❸❹", "138\u{200B}0013\u{200B}8000", "电话138—0013—8000", "1 3 8 0 0 1 3 8 0 0 0",
            "call me 5551234567 tonight", "QQ群 85732614",
        ] {
            #expect(detector.containsContact(text), "\(text.debugDescription)")
        }
    }

    @Test func contactKeywordsFollowedByAnID() {
        for text in [
            "加微 abc12345", "加微abc", "加v 1", "加V：wlive", "vx: wlive888", "VX wlive", "v x：wlive888", "V.X 12",
            "QQ 12345678", "qq:123456", "扣扣：12345", "企鹅号 12345", "薇信 abc123", "威信:wlive2024", "v信 abcde",
            "wx abcdef1", "微信号：wlive_2024", "微信是 wlive2024", "私聊加 abc123", "ｖｘ：ｗｌｉｖｅ８８８", "wechat wlive2024",
        ] {
            #expect(detector.containsContact(text), "\(text.debugDescription)")
        }
    }

    @Test func links() {
        for text in [
            "www.example.com", "http://x.cn", "https://live.example", "WWW . EXAMPLE . COM", "看这里 abc.top", "shop点com",
            "h t t p : / / x", "欢迎来玩 game88.vip 送福利", "Ｗｗｗ．ｅｘａｍｐｌｅ．ｃｏｍ", "abc。com", "x.cn/path", "site.xyz!",
        ] {
            #expect(detector.containsContact(text), "\(text.debugDescription)")
        }
    }

    @Test func ordinaryCommentsAreNotContacts() {
        for text in [
            "666", "2333", "66666666", "2333333", "88888888", "第1名", "哈哈哈哈哈", "主播今天好漂亮", "I love this stream 100 times",
            "I watched 3 streams today", "class is over", "wechat is great", "加vip会员", "qq音乐真好听", "new xenoblade game",
            "Good game. Top!", "www", "wwww哈哈", "3.14", "2024年6月", "第100000名", "vx呢？", "微信群里见", "see you at 8 pm",
            "打了3局赢了2局", "一二三四", "三点一四", "主播几点下播", "加油加油", "微微一笑", "Thanks. Me too", "v5", "我是第123456个粉丝",
        ] {
            #expect(!detector.containsContact(text), "\(text.debugDescription)")
        }
    }

    @Test func minimumDigitsIsConfigurable() {
        #expect(!ContactDetector().containsContact("call 12345"))
        #expect(ContactDetector(minDigits: 5).containsContact("call 12345"))
        #expect(!ContactDetector(minDigits: 12).containsContact("13800138000"))
    }

    @Test func tokensUndoDigitDisguises() {
        let tokens = ContactTokens.withTokens("①⑩⒈幺两〇Ａ．") { Array($0) }
        #expect(tokens == Array("1101120a".unicodeScalars.map(\.value)) + [ContactTokens.dot])
    }

    @Test func runsOfQuietIdeographsAreOneToken() {
        let tokens = ContactTokens.withTokens("你好世界 微信号 主播") { Array($0) }
        #expect(tokens == Array("你 微信号 主".unicodeScalars.map(\.value)).map { $0 == 0x20 ? ContactTokens.separator : $0 })
    }

    /// Writing a run of quiet ideographs as one token must not change a verdict: every rule is
    /// checked against the tokens written one per scalar, from first principles.
    @Test func collapsingQuietRunsChangesNoVerdict() {
        var generator = SpamBenchmarkTestGenerator(state: 0xC0DE)
        let pieces = [
            "你", "好", "主播", "微", "信", "号", "是", "加", "v", "x", "q", "w", "h", "t", "p", "s", ":", ".",
            "点", "com", "www", "http", " ", "-", "1", "3", "8", "一", "三", "八", "零", "扣", "企鹅", "电话", "a", "b",
            "é", "😀", "ｆ", "Ａ", "①", "\u{200B}", "䷀", "㐀", "鿿", "한", "。",
        ]  // every UTF-8 length, and CJK neighbours
        for round in 0..<3000 {
            // Now and then a long text, past the stack buffers, which is read again on the heap.
            let length = round % 20 == 0 ? 100 + generator.below(300) : generator.below(14)
            let text = (0..<length).map { _ in pieces[generator.below(pieces.count)] }.joined()
            let plain = text.unicodeScalars.flatMap { ContactTokens.tokens(of: $0.value) }
            let expected = plain.withUnsafeBufferPointer { detector.scan($0) }
            #expect(detector.containsContact(text) == expected, "\(text)")
            let scanned = CommentScanner.withNormalFormAndTokens(text) { normalized, tokens in
                (Array(normalized), Array(tokens))
            }
            #expect(scanned.1 == ContactTokens.withTokens(text) { Array($0) }, "\(text)")
            #expect(scanned.0 == TextNormalizer.normalizedScalars(text), "\(text)")
        }
    }
}
