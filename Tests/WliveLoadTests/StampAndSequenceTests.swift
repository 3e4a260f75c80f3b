import Foundation
import Testing

@testable import WliveLoad

@Suite("Comment stamps and sequence checks")
struct StampAndSequenceTests {
    func find(_ text: String) -> CommentStamp? {
        Array(text.utf8).withUnsafeBytes { CommentStamp.find(in: $0) }
    }

    @Test func stampIsFoundInAWliveCommentMessage() throws {
        let stamp = CommentStamp(sentAt: 123_456_789_012, sequence: 42)
        // As the gateway relays it: inside ext_json, which is itself a JSON string.
        let ext = String(decoding: try JSONSerialization.data(withJSONObject: ["wl": stamp.text]), as: UTF8.self)
        let message = String(
            decoding: try JSONSerialization.data(withJSONObject: [
                "type": "comment", "seq": 42, "ext_json": ext, "content": "wow",
            ]), as: UTF8.self)
        #expect(find(message) == stamp)
    }

    @Test func stampIsFoundInARawBody() {
        #expect(find(CommentStamp(sentAt: 5, sequence: 0).text + "xxxxxxxx") == CommentStamp(sentAt: 5, sequence: 0))
        #expect(find("wwwwlwlt=77;wls=3;") == CommentStamp(sentAt: 77, sequence: 3))
    }

    @Test func aDeletionStampIsFoundInTheCommentDeletedMessageAndAnAnswersIDIsRead() throws {
        let stamp = DeletionStamp(sentAt: 987_654_321)
        let message = String(
            decoding: try JSONSerialization.data(withJSONObject: [
                "type": "comment_deleted", "id": "1-2-3", "seq": 3, "reason": stamp.text,
            ]), as: UTF8.self)
        #expect(Array(message.utf8).withUnsafeBytes { DeletionStamp.find(in: $0) } == stamp)
        #expect(Array("wld=12".utf8).withUnsafeBytes { DeletionStamp.find(in: $0) } == nil)
        // A deletion stamp is no comment stamp: the order and loss checks never see it.
        #expect(find(message) == nil)
        let answer = Array(#"{"code":0,"message":"success","comment_id":"969806108841504768-77-12","seq":12}"#.utf8)
        #expect(PublisherClient.commentID(answer) == "969806108841504768-77-12")
        #expect(PublisherClient.commentID(Array(#"{"code":2,"message":"x"}"#.utf8)) == nil)
    }

    @Test func noOrMalformedStampIsNil() {
        for text in [
            "", "{\"type\":\"heartbeat\"}", "wlt=;wls=1;", "wlt=12;wls=;", "wlt=12wls=1;", "wlt=12;wls=1", "wlt=1x;wls=1;",
            "wlt=123456789012345678901;wls=1;",
        ] {
            #expect(find(text) == nil, "\(text)")
        }
    }

    @Test func trackerCountsInOrderSkippedAndOutOfOrder() {
        var tracker = SequenceTracker()
        for sequence: UInt64 in [1, 2, 3, 5, 5, 4, 6, 9] { tracker.observe(sequence) }
        #expect(tracker.inOrder == 6)  // 1 2 3 5 6 9
        #expect(tracker.outOfOrder == 2)  // the second 5, then 4
        #expect(tracker.skipped == 3)  // 4 (seen late), 7, 8
        #expect(tracker.last == 9)
    }

    @Test func zipfFavoursTheFirstItemsAndCoversAll() {
        let zipf = ZipfDistribution(count: 1000, exponent: 1)
        #expect(zipf.probability(0) > zipf.probability(1) && zipf.probability(1) > zipf.probability(999))
        #expect(abs((0..<1000).reduce(0) { $0 + zipf.probability($1) } - 1) < 1e-9)
        #expect(abs(zipf.probability(0) / zipf.probability(9) - 10) < 1e-6)
        #expect(zipf.item(at: 0) == 0 && zipf.item(at: 0.999_999_999) == 999)
        var generator = SplitMix64(seed: 7)
        var counts = [Int](repeating: 0, count: 1000)
        for _ in 0..<100_000 { counts[zipf.sample(&generator)] += 1 }
        // Item 0 has p = 1/H(1000) ≈ 0.134.
        #expect((12_500...14_500).contains(counts[0]))
        let uniform = ZipfDistribution(count: 4, exponent: 0)
        #expect((0..<4).allSatisfy { abs(uniform.probability($0) - 0.25) < 1e-12 })
        #expect(uniform.item(at: 0.3) == 1)
    }

    @Test func seededGeneratorRepeats() {
        var first = SplitMix64(seed: 1)
        var second = SplitMix64(seed: 1)
        #expect((0..<10).map { _ in first.next() } == (0..<10).map { _ in second.next() })
    }
}
