import Foundation
import Testing
import WliveCodec
import WliveProtocol
import WliveStore

@testable import WliveAPI

@Suite("Long-poll: syncComments")
struct LongPollTests {
    /// The answer of one poll, once it comes.
    final class Answer {
        var reply: [String: Any]?
    }

    private func poll(_ h: APIHarness, _ fields: [String: String]) -> Answer {
        let answer = Answer()
        var all = APIHarness.common
        for (key, value) in fields { all[key] = value }
        let request = HTTPRequest(
            method: "POST", target: "/live/syncComments",
            headers: [("Content-Type", "application/x-www-form-urlencoded")], body: APIHarness.formBody(all))
        h.api.respond(to: request, connectionID: "test") { response in
            answer.reply = try? APIHarness.decode(response)
        }
        return answer
    }

    private func seqs(_ reply: [String: Any]?) -> [Int] {
        ((reply?["messages"] as? [[String: Any]]) ?? []).filter { $0["type"] as? String == "comment" }.compactMap {
            $0["seq"] as? Int
        }
    }

    @Test func newerCommentsAreAnsweredAtOnce() throws {
        let h = APIHarness()
        let id = try h.startChannel()
        for text in ["一", "二", "三"] { _ = try h.comment(id, text) }
        let answer = poll(h, ["channel_id": id, "since_seq": "1"])
        #expect(code(answer.reply ?? [:]) == 0)
        #expect(seqs(answer.reply) == [2, 3])
        #expect(answer.reply?["last_seq"] as? Int == 3)
        #expect(answer.reply?["live_status"] as? Int == 101)
        #expect(answer.reply?["pull_interval"] as? Int == 0)
    }

    @Test func aPollWithNothingNewIsHeldUntilTheNextComment() throws {
        let h = APIHarness()
        let id = try h.startChannel()
        _ = try h.comment(id, "一")
        let answer = poll(h, ["channel_id": id, "since_seq": "1"])
        #expect(answer.reply == nil)
        #expect(h.api.heldPollCount == 1)
        _ = try h.comment(id, "二")
        #expect(seqs(answer.reply) == [2])
        #expect(answer.reply?["last_seq"] as? Int == 2)
        #expect(h.api.heldPollCount == 0)
    }

    @Test func aHeldPollIsAnsweredEmptyAfterMaxWait() throws {
        let h = APIHarness { $0.pollMaxWait = 25 }
        let id = try h.startChannel()
        let answer = poll(h, ["channel_id": id, "since_seq": "0"])
        h.clock.advance(seconds: 24)
        h.api.flushNotices()
        #expect(answer.reply == nil)
        h.clock.advance(seconds: 1.5)
        h.api.flushNotices()
        #expect(code(answer.reply ?? [:]) == 0)
        #expect(seqs(answer.reply) == [])
        #expect(answer.reply?["last_seq"] as? Int == 0)
    }

    @Test func theRoomsEndAnswersItsHeldPolls() throws {
        let h = APIHarness()
        let id = try h.startChannel()
        let answer = poll(h, ["channel_id": id, "since_seq": "0"])
        #expect(code(try h.call("stopLive", ["channel_id": id])) == 0)
        #expect(answer.reply?["live_status"] as? Int == 103)
        // An ended room's poll is never held.
        let late = poll(h, ["channel_id": id, "since_seq": "0"])
        #expect(late.reply?["live_status"] as? Int == 103)
        #expect(h.api.heldPollCount == 0)
    }

    @Test func badPollsAreRefused() throws {
        let h = APIHarness()
        let id = try h.startChannel()
        #expect(code(poll(h, ["channel_id": id]).reply ?? [:]) == WliveResultCode.invalidParameter.rawValue)
        #expect(code(poll(h, ["channel_id": id, "since_seq": "-1"]).reply ?? [:]) == WliveResultCode.invalidParameter.rawValue)
        #expect(
            code(poll(h, ["channel_id": "12345", "since_seq": "0"]).reply ?? [:]) == WliveResultCode.channelNotFound.rawValue)
    }

    @Test func pacingSlowsPollersDownBeforeTurningThemAway() throws {
        let pacing = PollPacing(maxHeld: 1000, maxPullIntervalMilliseconds: 5000)
        #expect(pacing.pullInterval(held: 0) == 0)
        #expect(pacing.pullInterval(held: 500) == 0)
        #expect(pacing.pullInterval(held: 750) == 2500)
        #expect(pacing.pullInterval(held: 1000) == 5000)
        #expect(pacing.pullInterval(held: 5000) == 5000)
        #expect(!pacing.isFull(held: 999) && pacing.isFull(held: 1000))
        // At the cap, a poll with nothing new is answered at once with the longest interval.
        let h = APIHarness {
            $0.pollMaxHeld = 2
            $0.pollMaxPullInterval = 4
        }
        let id = try h.startChannel()
        let held = [poll(h, ["channel_id": id, "since_seq": "0"]), poll(h, ["channel_id": id, "since_seq": "0"])]
        #expect(held.allSatisfy { $0.reply == nil })
        let turned = poll(h, ["channel_id": id, "since_seq": "0"])
        #expect(turned.reply?["pull_interval"] as? Int == 4000)
        _ = try h.comment(id, "一")
        #expect(held.allSatisfy { seqs($0.reply) == [1] })
    }
}
