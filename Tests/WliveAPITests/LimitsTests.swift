import Foundation
import Testing
import WliveProtocol
import WliveStore

@testable import WliveAPI

/// Bounds that keep one caller from growing the gateway: text lengths and channel counts.
@Suite("Field and channel limits")
struct LimitsTests {
    @Test func aCommentIsMeasuredInScalarsSoCombiningMarksCount() throws {
        let h = APIHarness()
        let channel = try h.startChannel()
        // One grapheme cluster, 30,001 scalars: it used to pass a 100-"character" limit.
        let zalgo = "a" + String(repeating: "\u{0301}", count: 30_000)
        #expect(zalgo.count == 1)
        #expect(code(try h.comment(channel, zalgo)) == -4)
        #expect(code(try h.comment(channel, String(repeating: "好", count: 100))) == 0)
        #expect(code(try h.comment(channel, String(repeating: "好", count: 101), user: "456")) == -4)
        #expect(h.fanOut.published.count == 1)
    }

    @Test(arguments: [
        ("channel_title", FieldLimits.channelTitle), ("channel_describe", FieldLimits.channelDescribe),
        ("cover_url", FieldLimits.coverURL), ("ext_json", FieldLimits.extJSON),
    ])
    func startLiveFieldsAreBounded(field: String, limit: Int) throws {
        let h = APIHarness()
        var fields = ["channel_title": "t", "channel_describe": "d", "cover_url": "c", "ext_json": ""]
        fields[field] = String(repeating: "x", count: limit)
        #expect(code(try h.call("startLive", fields)) == 0)
        fields[field] = "x" + String(repeating: "\u{0301}", count: limit)
        let refused = try h.call("startLive", fields)
        #expect(code(refused) == -4)
        #expect((refused["message"] as? String)?.contains(field) == true)
    }

    @Test func commonFieldsAndWatcherExtrasAreBounded() throws {
        let h = APIHarness()
        let channel = try h.startChannel()
        #expect(
            code(
                try h.call(
                    "joinLive", ["channel_id": channel, "event": "beginwatch"],
                    overriding: ["biz": String(repeating: "b", count: 257)])) == -4)
        #expect(
            code(
                try h.call(
                    "joinLive", ["channel_id": channel, "event": "beginwatch", "ext_json": String(repeating: "e", count: 4097)]))
                == -4)
        #expect(code(try h.call("joinLive", ["channel_id": channel, "event": "beginwatch", "ext_json": "{}"])) == 0)
    }

    @Test func channelsPerUserAndInAllAreCapped() throws {
        let h = APIHarness {
            $0.maxChannelsPerUser = 2
            $0.maxOpenChannels = 3
        }
        let first = try h.startChannel(owner: "a")
        _ = try h.startChannel(owner: "a")
        let third = try h.call(
            "startLive", ["channel_title": "t", "channel_describe": "d", "cover_url": "c"], overriding: ["userid": "a"])
        #expect(code(third) == 22)
        _ = try h.startChannel(owner: "b")
        let full = try h.call(
            "startLive", ["channel_title": "t", "channel_describe": "d", "cover_url": "c"], overriding: ["userid": "c"])
        #expect(code(full) == -1)
        // Stopping one gives its place back, to its owner and to everyone.
        #expect(code(try h.call("stopLive", ["channel_id": first], overriding: ["userid": "a"])) == 0)
        _ = try h.startChannel(owner: "a")
    }
}
