import Foundation
import Testing
import WliveStore

@testable import WliveAPI

@Suite("Watcher paging")
struct WatcherPagingTests {
    /// Pages through every watcher with the given order and returns the user ids seen.
    func pageThrough(_ h: APIHarness, _ id: String, order: String, count: Int) throws -> [String] {
        var seen: [String] = []
        var lastSource = "-1"
        var lastUser = "-1"
        while true {
            let reply = try h.call(
                "retriiveWatcherList",
                [
                    "channel_id": id, "get_count": String(count), "order_by_type": order,
                    "last_source": lastSource, "last_user_id": lastUser,
                ])
            #expect(code(reply) == 0)
            let users = try #require(reply["view_user"] as? [[String: Any]])
            if users.isEmpty { break }
            for user in users { seen.append(user["userid"] as! String) }
            lastSource = String(users.last!["source"] as! Int)
            lastUser = users.last!["userid"] as! String
        }
        return seen
    }

    @Test func pagingThroughTenThousandWatchersVisitsEachOnce() throws {
        let h = APIHarness()
        let id = try h.startChannel()
        // Many share a view time (same millisecond): order falls back to source, then user id.
        for index in 0..<10_000 {
            if index % 7 == 0 { h.clock.advance(seconds: 0.001) }
            let source = index % 3 == 0 ? "20" : "2"
            let reply = try h.call(
                "joinLive", ["channel_id": id, "event": "beginwatch", "ext_json": "null"],
                overriding: ["userid": "u\(index)", "source": source])
            #expect(code(reply) == 0)
        }
        for order in ["asc", "desc"] {
            let seen = try pageThrough(h, id, order: order, count: 100)
            #expect(seen.count == 10_000, "\(order)")
            #expect(Set(seen).count == 10_000, "\(order)")
        }
        let reply = try h.call(
            "retrieveWatcherList",
            ["channel_id": id, "get_count": "10", "order_by_type": "desc", "last_source": "-1", "last_user_id": "-1"])
        #expect(
            reply["total_num"] as? Int == 10_000 && reply["online_num"] as? Int == 10_000
                && reply["online_number"] as? Int == 10_000)
        #expect(reply["status"] as? String == "NORMAL" && reply["pull_interval"] as? Int == 0)
        let first = try #require((reply["view_user"] as? [[String: Any]])?.first)
        #expect(first["userid"] as? String == "u9999")
        for key in ["ext_json", "view_time", "userid", "biz", "source"] { #expect(first[key] != nil, "\(key)") }
    }

    @Test func ascendingOrderIsByViewTime() throws {
        let h = APIHarness()
        let id = try h.startChannel()
        for user in ["c", "a", "b"] {
            h.clock.advance(seconds: 1)
            _ = try h.call("joinLive", ["channel_id": id], overriding: ["userid": user])
        }
        #expect(try pageThrough(h, id, order: "asc", count: 2) == ["c", "a", "b"])
        #expect(try pageThrough(h, id, order: "desc", count: 2) == ["b", "a", "c"])
        _ = try h.call("leaveLive", ["channel_id": id], overriding: ["userid": "a"])
        #expect(try pageThrough(h, id, order: "asc", count: 1) == ["c", "b"])
    }

    @Test(arguments: [
        ["get_count": "0"], ["get_count": "101"], ["get_count": "x"], ["order_by_type": "sideways"], ["last_source": "x"],
    ])
    func badPagingFieldsAreMinus4(changes: [String: String]) throws {
        let h = APIHarness()
        let id = try h.startChannel()
        var fields = ["channel_id": id, "get_count": "10", "order_by_type": "asc", "last_source": "-1", "last_user_id": "-1"]
        for (key, value) in changes { fields[key] = value }
        #expect(code(try h.call("retrieveWatcherList", fields)) == -4)
    }

    @Test func unknownChannelIs1() throws {
        let h = APIHarness()
        #expect(
            code(
                try h.call(
                    "retrieveWatcherList",
                    ["channel_id": "77", "get_count": "10", "order_by_type": "asc", "last_source": "-1", "last_user_id": "-1"]))
                == 1)
    }
}
