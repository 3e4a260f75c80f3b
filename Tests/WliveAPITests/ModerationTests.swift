import Foundation
import Testing
import WliveProtocol
import WliveStore

@testable import WliveAPI

@Suite("Moderation: bans, modes, pins and retraction")
struct ModerationTests {
    static let adminSecret = "admin-secret"

    private func harness() -> (APIHarness, MemoryHistoryStore) {
        let history = MemoryHistoryStore()
        let h = APIHarness({ $0.adminSecrets = [Self.adminSecret] }, history: history)
        return (h, history)
    }

    private func admin(_ h: APIHarness) -> [String: String?] {
        let token = AuthTokenVerifier.mint(
            userID: "ops", source: 2, expiry: h.clock.milliseconds / 1000 + 60, secret: Self.adminSecret, purpose: .admin)
        return ["userid": "ops", "authtoken": token, "test": nil]
    }

    @Test func slowModeRefusesASecondCommentWithinItsWindowButNotTheAnchor() throws {
        let (h, _) = harness()
        let id = try h.startChannel()
        #expect(code(try h.call("setRoomMode", ["channel_id": id, "slow_mode": "10"], overriding: ["userid": "456"])) == 22)
        let set = try h.call("setRoomMode", ["channel_id": id, "slow_mode": "10"])
        #expect(code(set) == 0 && set["slow_mode"] as? Int == 10 && set["anchor_only"] as? Bool == false)
        #expect(h.fanOut.moderation.last?.1 == RoomModes(slowMode: 10))
        #expect(code(try h.comment(id, "first", user: "v1")) == 0)
        let refused = try h.comment(id, "second", user: "v1")
        #expect(code(refused) == 303 && refused["reason"] as? String == "slow_mode")
        #expect(code(try h.comment(id, "another user", user: "v2")) == 0)
        #expect(code(try h.comment(id, "the anchor", user: "123")) == 0)
        #expect(code(try h.comment(id, "the anchor again", user: "123")) == 0)
        h.clock.advance(seconds: 10)
        #expect(code(try h.comment(id, "later", user: "v1")) == 0)
        #expect(h.fanOut.published.map(\.content) == ["first", "another user", "the anchor", "the anchor again", "later"])
        #expect(code(try h.call("setRoomMode", ["channel_id": id, "slow_mode": "3601"])) == -4)
        #expect(code(try h.call("setRoomMode", ["channel_id": id, "slow_mode": "0"])) == 0)
        #expect(code(try h.comment(id, "free again", user: "v1")) == 0)
    }

    @Test func anAnchorOnlyRoomTakesOnlyTheAnchorsComments() throws {
        let (h, _) = harness()
        let id = try h.startChannel()
        #expect(try h.call("setRoomMode", ["channel_id": id, "anchor_only": "1"])["anchor_only"] as? Bool == true)
        let refused = try h.comment(id, "viewer", user: "v1")
        #expect(code(refused) == 22 && (refused["message"] as? String)?.contains("anchor-only") == true)
        #expect(code(try h.comment(id, "anchor")) == 0)
        // An admin may change another's room; slow mode is left as it was.
        let reopened = try h.call("setRoomMode", ["channel_id": id, "anchor_only": "0"], overriding: admin(h))
        #expect(code(reopened) == 0 && reopened["slow_mode"] as? Int == 0)
        #expect(code(try h.comment(id, "viewer again", user: "v1")) == 0)
        let channel = try #require(
            (try h.call("retrieveChannel", ["channel_ids": "[\"\(id)\"]"])["channel"] as? [[String: Any]])?.first)
        #expect(channel["anchor_only"] as? Bool == false)
    }

    @Test func aBanKeepsAUserOutForItsDurationInOneRoomOrEverywhere() throws {
        let (h, _) = harness()
        let id = try h.startChannel()
        let other = try h.startChannel()
        let ban = try h.call("banUser", ["channel_id": id, "target_userid": "troll", "target_source": "2", "duration": "60"])
        #expect(code(ban) == 0 && ban["until"] as? Int == Int(h.clock.milliseconds) + 60_000)
        let refused = try h.comment(id, "hi", user: "troll")
        #expect(code(refused) == 22 && (refused["message"] as? String)?.contains("banned") == true)
        #expect(code(try h.comment(other, "elsewhere", user: "troll")) == 0)
        h.clock.advance(seconds: 60)
        #expect(code(try h.comment(id, "back", user: "troll")) == 0)
        // Gateway-wide needs an admin; the room's owner is not enough.
        #expect(code(try h.call("banUser", ["target_userid": "troll", "target_source": "2"], overriding: ["test": nil])) == 22)
        let everywhere = try h.call(
            "banUser", ["target_userid": "troll", "target_source": "2", "duration": "30"], overriding: admin(h))
        #expect(code(everywhere) == 0)
        #expect(code(try h.comment(other, "elsewhere", user: "troll")) == 22)
        let lifted = try h.call(
            "banUser", ["target_userid": "troll", "target_source": "2", "duration": "0"], overriding: admin(h))
        #expect(code(lifted) == 0 && lifted["until"] as? Int == 0)
        #expect(code(try h.comment(other, "free", user: "troll")) == 0)
        #expect(code(try h.call("banUser", ["channel_id": id, "target_userid": "x", "target_source": "two"])) == -4)
        #expect(
            code(try h.call("banUser", ["target_userid": "x", "target_source": "2", "purge_minutes": "5"], overriding: admin(h)))
                == -4)
    }

    @Test func deletingACommentTakesItOutOfHistoryAndTellsTheViewers() throws {
        let (h, history) = harness()
        let id = try h.startChannel()
        var ids: [String] = []
        for index in 1...5 {
            ids.append(try #require(try h.comment(id, "comment \(index)", user: "v\(index)")["comment_id"] as? String))
        }
        #expect(code(try h.call("deleteComment", ["channel_id": id, "comment_id": ids[2]], overriding: ["userid": "456"])) == 22)
        let deleted = try h.call("deleteComment", ["channel_id": id, "comment_id": ids[2]])
        #expect(code(deleted) == 0 && deleted["seq"] as? Int == 3)
        #expect(h.fanOut.retracted.map(\.2) == [3])
        let page = history.comments(of: try #require(ChannelID(id)), after: 0, limit: 10)
        #expect(page.comments.map(\.seq) == [1, 2, 4, 5] && page.retracted == [3])
        let read = try h.call("retrieveComments", ["channel_id": id, "get_count": "10"])
        #expect(
            (read["comments"] as? [[String: Any]])?.compactMap { $0["content"] as? String } == [
                "comment 1", "comment 2", "comment 4", "comment 5",
            ])
        #expect(read["retracted_seqs"] as? [Int] == [3])
        // Someone else's id, or one from another life of the room, is no comment of it.
        #expect(code(try h.call("deleteComment", ["channel_id": id, "comment_id": "1-2-3"])) == -4)
        // An admin may delete in any room; a purge takes back a user's recent comments.
        #expect(code(try h.call("deleteComment", ["channel_id": id, "comment_id": ids[0]], overriding: admin(h))) == 0)
        let purge = try h.call(
            "banUser", ["channel_id": id, "target_userid": "v5", "target_source": "2", "purge_minutes": "10"])
        #expect(code(purge) == 0 && h.fanOut.purged.map(\.1) == ["v5"])
        #expect(history.comments(of: try #require(ChannelID(id)), after: 0, limit: 10).comments.map(\.seq) == [2, 4])
    }

    @Test func aPinnedCommentIsReadFromHistoryAndUnpinnedWhenDeleted() throws {
        let (h, _) = harness()
        let id = try h.startChannel()
        let commentID = try #require(try h.comment(id, "置顶这条")["comment_id"] as? String)
        let pinned = try h.call("pinComment", ["channel_id": id, "comment_id": commentID])
        #expect(code(pinned) == 0 && (pinned["pinned"] as? [String: Any])?["content"] as? String == "置顶这条")
        #expect(h.fanOut.moderation.last?.2??.content == "置顶这条")
        let listed = try #require(
            (try h.call("retrieveChannel", ["channel_ids": "[\"\(id)\"]"])["channel"] as? [[String: Any]])?.first)
        #expect((listed["pinned"] as? [String: Any])?["id"] as? String == commentID)
        let unknown = commentID.dropLast() + "9"
        #expect(code(try h.call("pinComment", ["channel_id": id, "comment_id": String(unknown)])) == -4)
        #expect(code(try h.call("deleteComment", ["channel_id": id, "comment_id": commentID])) == 0)
        #expect(h.fanOut.moderation.last.map { $0.2 == .some(nil) } == true)
        #expect(code(try h.call("pinComment", ["channel_id": id, "comment_id": commentID])) == -4)
    }
}
