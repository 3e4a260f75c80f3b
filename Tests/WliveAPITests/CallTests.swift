import Foundation
import Testing
import WliveCodec
import WliveProtocol
import WliveStore

@testable import WliveAPI

@Suite("Live API calls with the seed's own fields")
struct CallTests {
    @Test func startLiveReturnsTheSeedsChannelFields() throws {
        let h = APIHarness()
        let reply = try h.call(
            "startLive",
            ["channel_title": "测试标题", "channel_describe": "测试描述", "cover_url": "https://www.baidu.com", "ext_json": ""])
        #expect(code(reply) == 0 && reply["message"] as? String == "success")
        let channel = try #require(reply["channel"] as? [String: Any])
        let id = try #require(channel["channel_id"] as? String)
        #expect((18...19).contains(id.count) && UInt64(id) != nil)
        #expect(channel["channel_title"] as? String == "测试标题" && channel["channel_describe"] as? String == "测试描述")
        #expect(channel["push_url"] as? String == "rtmp://push.live.example.com/live/\(id)")
        #expect(channel["qcloud_channel_id"] as? String == id)
        #expect(h.fanOut.opened.map(\.description) == [id])
    }

    @Test func channelIDsAreTimeOrderedUniqueAndCarryTheNode() {
        var generator = ChannelIDGenerator(node: 5)
        var last = ChannelID(rawValue: 0)
        var seen = Set<ChannelID>()
        for index in 0..<10_000 {
            let id = generator.next(now: 1_795_770_812_000 + Int64(index / 3000))
            #expect(id > last)
            last = id
            seen.insert(id)
            #expect((id.rawValue >> 12) & 0x3FF == 5)
        }
        #expect(seen.count == 10_000)
        // The seed's example id decodes to March 2018 with this epoch.
        let seedDate = Date(
            timeIntervalSince1970: Double(ChannelIDGenerator.timestamp(of: ChannelID(rawValue: 969_806_108_841_504_768))) / 1000)
        #expect(Calendar(identifier: .gregorian).dateComponents(in: TimeZone(identifier: "UTC")!, from: seedDate).year == 2018)
        var other = ChannelIDGenerator(node: 6)
        #expect(other.next(now: 1_795_770_812_000) != ChannelIDGenerator(node: 5).nextCopy(now: 1_795_770_812_000))
    }

    @Test func stopLiveByTheOwnerClosesAndTellsTheFanOut() throws {
        let h = APIHarness()
        let id = try h.startChannel()
        #expect(code(try h.call("stopLive", ["channel_id": id], overriding: ["userid": "456"])) == 22)
        #expect(code(try h.call("stopLive", ["channel_id": id])) == 0)
        #expect(h.fanOut.closed.map(\.0.description) == [id])
        #expect(code(try h.call("stopLive", ["channel_id": id])) == 2)
        #expect(code(try h.call("stopLive", ["channel_id": "12345"])) == 1)
        #expect(code(try h.call("stopLive", ["channel_id": "abc"])) == -4)
        #expect(code(try h.comment(id, "after the end")) == 2)
        #expect(code(try h.call("joinLive", ["channel_id": id, "event": "beginwatch"])) == 2)
        let channel = try #require(
            (try h.call("retrieveChannel", ["channel_ids": "[\"\(id)\"]"])["channel"] as? [[String: Any]])?.first)
        #expect(channel["status"] as? String == "CLOSED" && channel["reason"] as? String == "stopped by owner")
    }

    @Test func joinAndLeaveKeepCountsAndCoalesceNotices() throws {
        let h = APIHarness()
        let id = try h.startChannel()
        for user in ["a", "b", "c"] {
            #expect(
                code(
                    try h.call(
                        "joinLive", ["channel_id": id, "event": "beginwatch", "ext_json": "{\"nickName\":\"\(user)\"}"],
                        overriding: ["userid": user])) == 0)
        }
        #expect(code(try h.call("joinLive", ["channel_id": id], overriding: ["userid": "a"])) == 0)  // again: no double count
        #expect(code(try h.call("leaveLive", ["channel_id": id, "event": "endwatch"], overriding: ["userid": "b"])) == 0)
        #expect(code(try h.call("leaveLive", ["channel_id": id, "event": "endwatch"], overriding: ["userid": "b"])) == 0)
        #expect(code(try h.call("joinLive", ["channel_id": id, "event": "endwatch"])) == -4)
        #expect(h.fanOut.announced.isEmpty)
        h.api.flushNotices()
        #expect(h.fanOut.announced.count == 1)
        #expect(h.fanOut.announced.first.map { [$0.1, $0.2] } == [2, 3])
        h.api.flushNotices()
        #expect(h.fanOut.announced.count == 1)
        let channel = try #require(
            (try h.call("retrieveChannel", ["channel_ids": "[\"\(id)\"]"])["channel"] as? [[String: Any]])?.first)
        #expect(channel["online_num"] as? Int == 2 && channel["total_num"] as? Int == 3)
    }

    @Test func retrieveChannelListsEverySeedFieldAndNamesUnknownIDs() throws {
        let h = APIHarness()
        let id = try h.startChannel()
        let reply = try h.call("retriveChannel", ["channel_ids": "[\"\(id)\", 42]"])
        #expect(code(reply) == 0)
        let channels = try #require(reply["channel"] as? [[String: Any]])
        #expect(channels.count == 1)
        let fields = [
            "create_time", "release_time", "live_time", "reason", "channel_describe", "channel_title", "cover_url", "status",
            "userid", "channel_id", "biz", "ext_json", "online_num", "total_num", "source", "flv_downstream_address",
            "rtmp_downstream_address", "qcloud_channel_id",
        ]
        for field in fields { #expect(channels[0][field] != nil, "\(field)") }
        #expect(
            channels[0]["status"] as? String == "NORMAL" && channels[0]["source"] as? Int == 2
                && channels[0]["biz"] as? String == "wchat")
        #expect(channels[0]["create_time"] as? String == String(h.clock.milliseconds))
        #expect(reply["not_found"] as? [String] == ["42"])
        #expect(code(try h.call("retrieveChannel", ["channel_ids": "not json"])) == -4)
        #expect(code(try h.call("retrieveChannel", [:])) == -4)
    }

    @Test func sendCommentPublishesAndRepliesWithIDAndSeq() throws {
        let h = APIHarness()
        let id = try h.startChannel()
        let reply = try h.comment(id, "主播好！")
        #expect(
            code(reply) == 0 && reply["seq"] as? Int == 1 && (reply["comment_id"] as? String)?.hasPrefix("\(id)-") == true
                && (reply["comment_id"] as? String)?.hasSuffix("-1") == true)
        #expect(h.fanOut.published.map(\.content) == ["主播好！"])
        #expect(code(try h.comment(id, "second")) == 0)
        #expect(h.fanOut.published.map(\.seq) == [1, 2])
    }

    @Test func commentExtJSONMayBeAnObjectOrAString() throws {
        let h = APIHarness()
        let id = try h.startChannel()
        _ = try h.call(
            "sendComment",
            [
                "comment":
                    "{\"channel_id\":\"\(id)\",\"content\":\"hi\",\"type\":\"text\",\"ext_json\":{\"nickName\":\"DuLinRain\"}}"
            ])
        #expect(h.fanOut.published.first?.extJSON == "{\"nickName\":\"DuLinRain\"}")
        #expect(h.fanOut.published.first?.commentType == "text")
    }

    @Test func commentLengthAndEmptinessAreMinus4() throws {
        let h = APIHarness()
        let id = try h.startChannel()
        #expect(code(try h.comment(id, "   ")) == -4)
        #expect(code(try h.comment(id, String(repeating: "评", count: 101))) == -4)
        #expect(code(try h.comment(id, String(repeating: "评", count: 100))) == 0)
        #expect(code(try h.call("sendComment", ["comment": "not json"])) == -4)
        #expect(code(try h.call("sendComment", ["comment": "{\"content\":\"no channel\"}"])) == -4)
        #expect(h.fanOut.published.count == 1)
    }

    @Test func refusedCommentIs303WithTheRuleAndReachesNobody() throws {
        let h = APIHarness()
        let id = try h.startChannel()
        let reply = try h.comment(id, "f.u.c.k you")
        #expect(code(reply) == 303 && reply["reason"] as? String == "banned_word")
        #expect(code(try h.comment(id, "加微 abc12345 有福利")) == 303)
        #expect(h.fanOut.published.isEmpty)
        #expect(h.api.spam.refusals[.bannedWord] == 1)
    }
}

extension ChannelIDGenerator {
    func nextCopy(now: Int64) -> ChannelID {
        var copy = self
        return copy.next(now: now)
    }
}
