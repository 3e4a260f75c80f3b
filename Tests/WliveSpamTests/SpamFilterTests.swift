import Testing

@testable import WliveSpam

@Suite("Spam filter pipeline")
struct SpamFilterTests {
    static let words = BannedWordDictionary(words: ["fuck", "傻逼", "约炮"])

    func filter(_ change: (inout SpamSettings) -> Void = { _ in }) -> SpamFilter {
        var settings = SpamSettings()
        change(&settings)
        return SpamFilter(settings: settings, dictionary: Self.words)
    }

    @Test func defaultsAreAsDocumented() {
        let settings = SpamSettings()
        #expect(settings.bannedWords && settings.contact && settings.minContactDigits == 7)
        #expect(settings.rateLimitCount == 5 && settings.rateLimitWindow == 10 && settings.repeatWindow == 60)
        #expect(settings.floodCount == 5 && settings.floodWindow == 10)
        #expect(SpamRule.allCases.map(\.rawValue) == ["banned_word", "contact", "rate_limit", "repeat", "flood"])
    }

    @Test func cleanCommentsPass() {
        var filter = filter()
        #expect(filter.check(channel: 1, user: "2:1", content: "主播好漂亮", now: 0) == nil)
        #expect(filter.check(channel: 1, user: "2:1", content: "666", now: 1) == nil)
        #expect(filter.refusals.values.allSatisfy { $0 == 0 })
    }

    @Test func bannedWordsAndContactsAreRefused() {
        var filter = filter()
        #expect(
            filter.check(channel: 1, user: "2:1", content: "f u c k", now: 0)
                == SpamVerdict(rule: .bannedWord, message: "comment contains a banned word"))
        #expect(filter.check(channel: 1, user: "2:2", content: "傻 逼", now: 0)?.rule == .bannedWord)
        #expect(filter.check(channel: 1, user: "2:3", content: "加微 abc12345", now: 0)?.rule == .contact)
        #expect(filter.check(channel: 1, user: "2:4", content: "138 0013 8000", now: 0)?.rule == .contact)
        // Both: the banned word rule comes first.
        #expect(filter.check(channel: 1, user: "2:5", content: "约炮 vx: abc123", now: 0)?.rule == .bannedWord)
        #expect(filter.refusals[.bannedWord] == 3 && filter.refusals[.contact] == 2)
        for rule in SpamRule.allCases { #expect(!SpamVerdict(rule: rule).message.isEmpty) }
    }

    @Test func textRulesCanBeTurnedOff() {
        var filter = filter {
            $0.bannedWords = false
            $0.contact = false
        }
        #expect(filter.check(channel: 1, user: "2:1", content: "fuck", now: 0) == nil)
        #expect(filter.check(channel: 1, user: "2:1", content: "vx: abc123", now: 1) == nil)
    }

    @Test func rateLimitRefusesTheSixthCommentAndRefills() {
        var filter = filter()
        for index in 0..<5 {
            #expect(filter.check(channel: 1, user: "2:1", content: "comment \(index)", now: Double(index) * 0.1) == nil)
        }
        #expect(filter.check(channel: 1, user: "2:1", content: "comment 5", now: 0.5)?.rule == .rateLimit)
        #expect(filter.check(channel: 1, user: "2:1", content: "comment 6", now: 1.0)?.rule == .rateLimit)
        // Five tokens per ten seconds: one more every two seconds.
        #expect(filter.check(channel: 1, user: "2:1", content: "comment 7", now: 2.5) == nil)
        #expect(filter.check(channel: 1, user: "2:1", content: "comment 8", now: 2.6)?.rule == .rateLimit)
        // Other users and other channels have buckets of their own.
        #expect(filter.check(channel: 1, user: "2:2", content: "comment 9", now: 2.6) == nil)
        #expect(filter.check(channel: 2, user: "2:1", content: "comment 10", now: 2.6) == nil)
        // A full window later the bucket is full again.
        for index in 0..<5 {
            #expect(filter.check(channel: 1, user: "2:1", content: "later \(index)", now: 20 + Double(index) * 0.01) == nil)
        }
        #expect(filter.refusals[.rateLimit] == 3)
    }

    @Test func repeatWithinAMinuteIsRefused() {
        var filter = filter()
        #expect(filter.check(channel: 1, user: "2:1", content: "Hello everyone", now: 0) == nil)
        // The same normal form.
        #expect(filter.check(channel: 1, user: "2:1", content: "hello, everyone!!", now: 30)?.rule == .repeatText)
        #expect(filter.check(channel: 1, user: "2:2", content: "Hello everyone", now: 30) == nil)  // another user
        #expect(filter.check(channel: 2, user: "2:1", content: "Hello everyone", now: 30) == nil)  // another channel
        #expect(filter.check(channel: 1, user: "2:1", content: "Hello everyone", now: 59.9)?.rule == .repeatText)
        #expect(filter.check(channel: 1, user: "2:1", content: "Hello everyone", now: 60.5) == nil)
        #expect(filter.refusals[.repeatText] == 2)
    }

    @Test func floodRefusesTheSixthIdenticalComment() {
        var filter = filter()
        for index in 0..<5 {
            #expect(filter.check(channel: 1, user: "2:\(index)", content: "666", now: Double(index)) == nil)
        }
        #expect(filter.check(channel: 1, user: "2:5", content: "666", now: 5)?.rule == .flood)
        #expect(filter.check(channel: 1, user: "2:6", content: "６６６!", now: 6)?.rule == .flood)  // same normal form
        #expect(filter.check(channel: 2, user: "2:7", content: "666", now: 6) == nil)  // another channel
        #expect(filter.check(channel: 1, user: "2:8", content: "777", now: 6) == nil)  // another text
        // The first acceptance (at 0) leaves the window at 10.
        #expect(filter.check(channel: 1, user: "2:9", content: "666", now: 10.5) == nil)
        #expect(filter.check(channel: 1, user: "2:10", content: "666", now: 10.6)?.rule == .flood)
        #expect(filter.refusals[.flood] == 3)
    }

    @Test func aWithdrawnCommentIsNeitherARepeatNorPartOfAFlood() {
        var filter = filter()
        for index in 0..<5 {
            #expect(filter.check(channel: 1, user: "2:\(index)", content: "666", now: Double(index)) == nil)
        }
        // The fifth was then not kept (code 100): its retry passes, and the flood counts four.
        filter.withdraw(channel: 1, user: "2:4", content: "666")
        #expect(filter.check(channel: 1, user: "2:4", content: "６６６", now: 5) == nil)
        #expect(filter.check(channel: 1, user: "2:5", content: "666", now: 5)?.rule == .flood)
        // Taking back what was never recorded changes nothing.
        filter.withdraw(channel: 1, user: "2:9", content: "777")
        #expect(filter.check(channel: 1, user: "2:4", content: "666", now: 6)?.rule == .repeatText)
        // Expiry after a withdrawal still empties the windows.
        _ = filter.check(channel: 1, user: "2:9", content: "999", now: 100)
        #expect(filter.check(channel: 1, user: "2:4", content: "666", now: 200) == nil)
    }

    @Test func refusedCommentsDoNotCountTowardsAFlood() {
        var filter = filter()
        for index in 0..<5 {
            #expect(filter.check(channel: 1, user: "2:\(index)", content: "冲冲冲", now: Double(index) * 0.1) == nil)
        }
        for index in 5..<50 {
            #expect(filter.check(channel: 1, user: "2:\(index)", content: "冲冲冲", now: 1 + Double(index) * 0.01)?.rule == .flood)
        }
        // Only the five accepted ones count: once the first expires there is room for exactly one.
        #expect(filter.check(channel: 1, user: "2:100", content: "冲冲冲", now: 10.05) == nil)
        #expect(filter.check(channel: 1, user: "2:101", content: "冲冲冲", now: 10.06)?.rule == .flood)
    }

    @Test func commentsRefusedByEarlierRulesDoNotCountTowardsAFloodEither() {
        var filter = filter { $0.floodCount = 2 }
        #expect(filter.check(channel: 1, user: "2:1", content: "same", now: 0) == nil)
        #expect(filter.check(channel: 1, user: "2:1", content: "same", now: 1)?.rule == .repeatText)
        #expect(filter.check(channel: 1, user: "2:2", content: "same", now: 2) == nil)
        #expect(filter.check(channel: 1, user: "2:3", content: "same", now: 3)?.rule == .flood)
    }

    @Test func theRateLimitIsChargedByCommentsThatLaterRulesRefuse() {
        var filter = filter()
        #expect(filter.check(channel: 1, user: "2:1", content: "again", now: 0) == nil)
        for index in 1..<5 {
            #expect(filter.check(channel: 1, user: "2:1", content: "again", now: Double(index) * 0.01)?.rule == .repeatText)
        }
        #expect(filter.check(channel: 1, user: "2:1", content: "something new", now: 0.1)?.rule == .rateLimit)
    }

    @Test func zeroTurnsAStatefulRuleOff() {
        var filter = filter {
            $0.rateLimitCount = 0
            $0.repeatWindow = 0
            $0.floodCount = 0
        }
        for index in 0..<50 {
            #expect(filter.check(channel: 1, user: "2:1", content: "same", now: Double(index) * 0.01) == nil)
        }
        #expect(filter.trackedUserCount == 0 && filter.trackedRepeatCount == 0 && filter.trackedTextCount == 0)
    }

    @Test func customThresholds() {
        var filter = filter {
            $0.rateLimitCount = 2
            $0.rateLimitWindow = 60
            $0.minContactDigits = 5
        }
        #expect(filter.check(channel: 1, user: "2:1", content: "one", now: 0) == nil)
        #expect(filter.check(channel: 1, user: "2:1", content: "two", now: 1) == nil)
        #expect(filter.check(channel: 1, user: "2:1", content: "three", now: 2)?.rule == .rateLimit)
        #expect(filter.check(channel: 1, user: "2:2", content: "call 12345", now: 2)?.rule == .contact)
        #expect(filter.settings.rateLimitCount == 2)
    }

    @Test func replacingTheDictionaryKeepsHistory() {
        var filter = filter()
        #expect(filter.check(channel: 1, user: "2:1", content: "spam spam", now: 0) == nil)
        filter.replaceDictionary(BannedWordDictionary(words: ["spam"]))
        #expect(filter.dictionary.wordCount == 1)
        #expect(filter.check(channel: 1, user: "2:2", content: "s p a m", now: 1)?.rule == .bannedWord)
        #expect(filter.check(channel: 1, user: "2:2", content: "fuck", now: 2) == nil)  // the old word is gone
        #expect(filter.check(channel: 1, user: "2:2", content: "fuck", now: 3)?.rule == .repeatText)  // history kept
    }

    @Test func memoryStaysBoundedAsTimeAdvances() {
        var filter = filter()
        for index in 0..<20_000 {
            let verdict = filter.check(
                channel: UInt64(index % 100), user: "2:\(index)", content: "comment number \(index)",
                now: Double(index) / 2_000)
            #expect(verdict == nil)
        }
        #expect(filter.trackedUserCount == 20_000 && filter.trackedRepeatCount == 20_000 && filter.trackedTextCount == 20_000)
        // Ten seconds on, the flood history has expired; a minute on, the repeat history too;
        // two rate-limit windows on, the buckets have been dropped.
        #expect(filter.check(channel: 1, user: "2:1", content: "later", now: 30) == nil)
        #expect(filter.trackedTextCount == 1)
        #expect(filter.check(channel: 1, user: "2:1", content: "much later", now: 1_000) == nil)
        #expect(filter.trackedUserCount == 1 && filter.trackedRepeatCount == 1 && filter.trackedTextCount == 1)
    }
}

@Suite("Stateful rule tables")
struct SpamTableTests {
    @Test func keyTableAgreesWithADictionary() {
        var generator = SpamBenchmarkTestGenerator(state: 7)
        var table = KeyTable<Int>(placeholder: -1)
        var model: [UInt64: Int] = [:]
        for step in 0..<50_000 {
            // Few distinct keys, clustered low bits: long probe runs and many deletions across them.
            let key = UInt64(1 + generator.below(3_000)) << (step % 8 == 0 ? 40 : 0)
            if generator.below(3) == 0, let slot = table.index(of: key) {
                table.remove(at: slot)
                model[key] = nil
            } else if let slot = table.index(of: key) {
                table[slot: slot] += 1
                model[key]! += 1
            } else {
                table.insert(key, 0)
                model[key] = 0
            }
        }
        #expect(table.count == model.count)
        for (key, value) in model { #expect(table[key] == value) }
        #expect(table[UInt64.max] == nil)
    }

    @Test func keyTableShrinksWhenEmptied() {
        var table = KeyTable<Int>(placeholder: 0)
        for key in 1...10_000 as ClosedRange<UInt64> { table.insert(key &* 0x9E37_79B9_7F4A_7C15, 1) }
        let peak = table.capacity
        for key in 1...10_000 as ClosedRange<UInt64> { table.remove(at: table.index(of: key &* 0x9E37_79B9_7F4A_7C15)!) }
        #expect(table.count == 0 && table.capacity < peak / 100)
        table.insert(0, 5)  // zero is a key like any other
        #expect(table[0] == 5)
    }

    @Test func slidingWindowCounterCountsExactly() {
        var counter = SlidingWindowCounter(window: 10)
        counter.record(1, now: 0)
        counter.record(1, now: 5)
        counter.record(2, now: 6)
        counter.expire(now: 9.9)
        #expect(counter.count(of: 1) == 2 && counter.count(of: 2) == 1 && counter.count(of: 3) == 0)
        counter.expire(now: 10)
        #expect(counter.count(of: 1) == 1 && counter.keyCount == 2)
        counter.expire(now: 16)
        #expect(counter.keyCount == 0 && counter.eventCount == 0)
    }

    /// SipHash-2-4 of the bytes 00, 01, 02 … under the key 00 01 … 0F: the reference vectors of
    /// the SipHash paper. The 1-3 variant the rules use differs only in its round counts.
    @Test func sipHashMatchesTheReferenceVectors() {
        let key = SipHashKey(k0: 0x0706_0504_0302_0100, k1: 0x0F0E_0D0C_0B0A_0908)
        let expected: [Int: UInt64] = [
            0: 0x726F_DB47_DD0E_0E31, 1: 0x74F8_39C5_93DC_67FD, 2: 0x0D6C_8009_D9A9_4F5A,
            3: 0x8567_6696_D7FB_7E2D, 15: 0xA129_CA61_49BE_45E5,
        ]
        for (length, value) in expected {
            let message = (0..<length).map { UInt8($0) }
            var hash = SipHash<SipHash24>(key: key)
            #expect(message.withUnsafeBytes { hash.finalize(bytes: $0) } == value, "length \(length)")
        }
    }

    /// The digest is SipHash-1-3 of the normal form's UTF-16 code units, on the four-at-a-time
    /// path and the general one alike, and of a marker and the original text when nothing is left;
    /// a user key is SipHash-1-3 of the channel's eight bytes and the user's UTF-8.
    @Test func digestsAreSipHashOfTheirBytes() {
        let key = SipHashKey.random()
        func sipHash(_ bytes: [UInt8]) -> UInt64 {
            var hash = SipHash<SipHash13>(key: key)
            return bytes.withUnsafeBytes { hash.finalize(bytes: $0) }
        }
        func utf16Bytes(_ scalars: [UInt32]) -> [UInt8] {
            String(String.UnicodeScalarView(scalars.compactMap(Unicode.Scalar.init))).utf16.flatMap {
                [UInt8($0 & 0xFF), UInt8($0 >> 8)]
            }
        }
        for scalars: [UInt32] in [
            [0x4E3B, 0x64AD, 0x61], [0x4E3B, 0x2_0000, 0x62], [0x1_F600], [0x61, 0x62, 0x63, 0x64, 0x2_0000],
            Array(repeating: 0x6211, count: 301), (0..<40).map { $0 % 7 == 0 ? 0x2_0001 : 0x4E00 + $0 },
        ] {
            #expect(
                scalars.withUnsafeBufferPointer { TextDigest.of(normalized: $0, original: "", key: key) }
                    == sipHash(utf16Bytes(scalars)))
        }
        let empty = [UInt32]()
        #expect(
            empty.withUnsafeBufferPointer { TextDigest.of(normalized: $0, original: "😀", key: key) }
                == sipHash([0xFF, 0, 0, 0, 0, 0, 0, 0] + Array("😀".utf8)))
        #expect(
            SpamKey.user(channel: 0x0102, user: "2:123", key: key) == sipHash([2, 1, 0, 0, 0, 0, 0, 0] + Array("2:123".utf8)))
    }

    @Test func tokenBucketRefillsContinuously() {
        var bucket = TokenBucket(capacity: 2, now: 0)
        let taken = [0, 0, 0.5, 1, 0.5].map { bucket.take(now: $0, capacity: 2, refillPerSecond: 1) }
        // The last: a clock stepping back refills nothing.
        #expect(taken == [true, true, false, true, false])
    }
}
