import Foundation
import Testing
import WliveProtocol
import WliveStore

@testable import WliveAPI

@Suite("The room life-cycle of seed 001")
struct RoomLifecycleTests {
    @Test func everyStateTakesExactlyTheEventsOfTheDiagram() {
        let expected: [ChannelState: [RoomEvent: ChannelState]] = [
            .notStarted: [.goLive: .live, .planExpired: .expired, .stop: .ended, .ban: .banned],
            .live: [.pause: .paused, .anchorLost: .abnormal, .stop: .ended, .ban: .banned],
            .paused: [.resume: .live, .stop: .ended, .ban: .banned],
            .abnormal: [.anchorBack: .live, .graceExpired: .ended, .stop: .ended, .ban: .banned],
            .ended: [:], .banned: [:], .expired: [:],
        ]
        for state in ChannelState.allCases {
            for event in RoomEvent.allCases {
                #expect(state.after(event) == expected[state]?[event], "\(state.name) + \(event.rawValue)")
            }
        }
    }

    private func state(_ h: APIHarness, _ id: String) throws -> [String: Any] {
        try #require((try h.call("retrieveChannel", ["channel_ids": "[\"\(id)\"]"])["channel"] as? [[String: Any]])?.first)
    }

    private func liveStatus(_ h: APIHarness, _ id: String) throws -> Int? { try state(h, id)["live_status"] as? Int }

    /// Moves the manual clock on and runs the once-a-second work, as the loop would.
    private func tick(_ h: APIHarness, _ seconds: Double) {
        h.clock.advance(seconds: seconds)
        h.api.flushNotices()
    }

    /// A room brought to `state` through the API: planned (102), live, paused (105) or abnormal (106).
    private func room(in state: ChannelState, _ h: APIHarness) throws -> String {
        let now = h.clock.milliseconds
        let planned = ["channel_title": "t", "channel_describe": "d", "cover_url": "c", "plan_start_time": String(now + 60_000)]
        if state == .notStarted {
            return try #require((try h.call("startLive", planned)["channel"] as? [String: Any])?["channel_id"] as? String)
        }
        let id = try h.startChannel()
        switch state {
        case .paused: _ = try h.call("pauseLive", ["channel_id": id])
        case .abnormal:
            _ = try h.call("anchorHeartbeat", ["channel_id": id])
            tick(h, h.api.settings.anchorTimeout)
        default: break
        }
        #expect(try liveStatus(h, id) == state.rawValue)
        return id
    }

    @Test(arguments: [ChannelState.notStarted, .live, .paused, .abnormal])
    func stopAndBanEndARoomFromEveryStateThatIsNotFinal(_ state: ChannelState) throws {
        let h = APIHarness()
        let stopped = try room(in: state, h)
        #expect(code(try h.call("stopLive", ["channel_id": stopped])) == 0)
        #expect(try liveStatus(h, stopped) == 103)
        let banned = try room(in: state, h)
        #expect(code(try h.call("banLive", ["channel_id": banned])) == 0)
        #expect(try liveStatus(h, banned) == 104)
        #expect(h.fanOut.closed.map(\.0.description) == [stopped, banned])
        for id in [stopped, banned] {
            for call in ["pauseLive", "resumeLive", "anchorHeartbeat", "stopLive", "banLive"] {
                #expect(code(try h.call(call, ["channel_id": id])) == 2, "\(call) after the end")
            }
        }
    }

    @Test func resumeLiveMakesAPlannedRoomLiveAndIsRefusedWhereItDoesNotApply() throws {
        let h = APIHarness()
        let planned = try room(in: .notStarted, h)
        #expect(try h.call("resumeLive", ["channel_id": planned])["live_status"] as? Int == 101)
        let live = try h.startChannel()
        let refused = try h.call("resumeLive", ["channel_id": live])
        #expect(code(refused) == 2 && (refused["message"] as? String)?.contains("live (101)") == true)
        let abnormal = try room(in: .abnormal, h)
        #expect(code(try h.call("resumeLive", ["channel_id": abnormal])) == 2)
        #expect(code(try h.call("pauseLive", ["channel_id": abnormal])) == 2)
    }

    @Test func pauseAndResumeMoveBetween101And105AndOnlyLiveTakesComments() throws {
        let h = APIHarness()
        let id = try h.startChannel()
        #expect(try liveStatus(h, id) == 101)
        #expect(code(try h.call("pauseLive", ["channel_id": id], overriding: ["userid": "456"])) == 22)
        let paused = try h.call("pauseLive", ["channel_id": id])
        #expect(code(paused) == 0 && paused["live_status"] as? Int == 105 && paused["status"] as? String == "NORMAL")
        #expect(code(try h.call("pauseLive", ["channel_id": id])) == 2)
        let refused = try h.comment(id, "while paused")
        #expect(code(refused) == 2)
        #expect((refused["message"] as? String)?.contains("paused (105)") == true)
        #expect(h.fanOut.published.isEmpty)
        #expect(code(try h.call("sendLike", ["channel_id": id])) == 2)
        // Viewers may still join a paused room: it is not over.
        #expect(code(try h.call("joinLive", ["channel_id": id, "event": "beginwatch"])) == 0)
        #expect(code(try h.call("resumeLive", ["channel_id": id])) == 0)
        #expect(try liveStatus(h, id) == 101)
        #expect(code(try h.comment(id, "live again")) == 0)
        #expect(h.fanOut.states.map { "\($0.1.rawValue) \($0.2)" } == ["105 paused by owner", "101 resumed by owner"])
        let seed = try state(h, id)
        #expect(seed["status"] as? String == "NORMAL")
    }

    @Test func aPlannedRoomIs102UntilItsAnchorGoesLiveAnd107IfThePlanEndsFirst() throws {
        // The anchor's silence is not what this test is about: it may be silent all along.
        let h = APIHarness { $0.anchorTimeout = 86400 }
        let now = h.clock.milliseconds
        let fields = [
            "channel_title": "t", "channel_describe": "d", "cover_url": "c",
            "plan_start_time": String(now + 3_600_000), "plan_end_time": String(now + 7_200_000),
        ]
        let planned = try #require(try h.call("startLive", fields)["channel"] as? [String: Any])
        let first = try #require(planned["channel_id"] as? String)
        #expect(planned["live_status"] as? Int == 102)
        #expect(code(try h.comment(first, "too early")) == 2)
        let second = try #require((try h.call("startLive", fields)["channel"] as? [String: Any])?["channel_id"] as? String)
        // The anchor of the first goes live with its first heartbeat; the second never does.
        let beat = try h.call("anchorHeartbeat", ["channel_id": first])
        #expect(code(beat) == 0 && beat["live_status"] as? Int == 101)
        #expect(code(try h.comment(first, "on air")) == 0)
        tick(h, 7200)
        #expect(try liveStatus(h, second) == 107)
        #expect(try state(h, second)["status"] as? String == "CLOSED")
        #expect(code(try h.call("resumeLive", ["channel_id": second])) == 2)
        #expect(h.fanOut.closed.map(\.0.description) == [second])
        // A planned end is only for a room that never started: the live one stays live.
        #expect(try liveStatus(h, first) == 101)
        let badPlan = ["channel_title": "t", "channel_describe": "d", "cover_url": "c", "plan_end_time": String(now - 1)]
        #expect(code(try h.call("startLive", badPlan)) == -4)
        #expect(code(try h.call("startLive", fields.merging(["plan_start_time": "soon"]) { $1 })) == -4)
    }

    @Test func anAnchorGoneSilentMakesTheRoomAbnormalThenEndedAfterTheGrace() throws {
        let h = APIHarness {
            $0.anchorTimeout = 30
            $0.abnormalGrace = 900
        }
        let id = try h.startChannel()
        // No heartbeat yet: silence is not watched, however long.
        tick(h, 3600)
        #expect(try liveStatus(h, id) == 101)
        #expect(code(try h.call("anchorHeartbeat", ["channel_id": id], overriding: ["userid": "456"])) == 22)
        #expect(code(try h.call("anchorHeartbeat", ["channel_id": id])) == 0)
        tick(h, 29)
        #expect(try liveStatus(h, id) == 101)
        tick(h, 1)
        #expect(try liveStatus(h, id) == 106)
        #expect(code(try h.comment(id, "anyone?")) == 2)
        // Back within the grace: live again, and the silence counts afresh.
        tick(h, 899)
        #expect(try liveStatus(h, id) == 106)
        #expect(try h.call("anchorHeartbeat", ["channel_id": id])["live_status"] as? Int == 101)
        tick(h, 29)
        #expect(try liveStatus(h, id) == 101)
        // Silent again, and this time past the grace: ended, "abnormal timeout".
        tick(h, 1)
        #expect(try liveStatus(h, id) == 106)
        tick(h, 900)
        let ended = try state(h, id)
        #expect(ended["live_status"] as? Int == 103 && ended["reason"] as? String == "abnormal timeout")
        #expect(
            h.fanOut.states.map { "\($0.1.rawValue) \($0.2)" } == [
                "106 anchor silent", "101 anchor back", "106 anchor silent", "103 abnormal timeout",
            ])
        #expect(h.api.roomTimers.count == 0)
    }

    @Test func theAnchorsOwnSocketIsAPresenceForAsLongAsItIsOpen() throws {
        let h = APIHarness { $0.anchorTimeout = 30 }
        let planned = try room(in: .notStarted, h)
        let id = try #require(ChannelID(planned))
        h.api.anchorSocket(id, connected: true)
        #expect(try liveStatus(h, planned) == 101)
        // A second socket of the anchor's, then the first closes: still present.
        h.api.anchorSocket(id, connected: true)
        h.api.anchorSocket(id, connected: false)
        tick(h, 3600)
        #expect(try liveStatus(h, planned) == 101)
        // The last one closes: silence counts from then.
        h.api.anchorSocket(id, connected: false)
        tick(h, 29)
        #expect(try liveStatus(h, planned) == 101)
        tick(h, 1)
        #expect(try liveStatus(h, planned) == 106)
        h.api.anchorSocket(id, connected: true)
        #expect(try liveStatus(h, planned) == 101)
        #expect(
            h.fanOut.states.map { "\($0.1.rawValue) \($0.2)" } == [
                "101 anchor went live", "106 anchor silent", "101 anchor back",
            ])
    }

    @Test func aPausedRoomIsNotTakenForAbandonedAndResumesWithAFreshClock() throws {
        let h = APIHarness { $0.anchorTimeout = 30 }
        let id = try h.startChannel()
        _ = try h.call("anchorHeartbeat", ["channel_id": id])
        _ = try h.call("pauseLive", ["channel_id": id])
        tick(h, 600)
        #expect(try liveStatus(h, id) == 105)
        _ = try h.call("resumeLive", ["channel_id": id])
        tick(h, 29)
        #expect(try liveStatus(h, id) == 101)
    }

    @Test func banLiveNeedsAnAdminTokenAndEndsTheRoomAs104() throws {
        let adminSecret = "admin-secret"
        let h = APIHarness {
            $0.adminSecrets = [adminSecret]
            $0.allowTest = false
        }
        let now = h.clock.milliseconds / 1000
        let login = AuthTokenVerifier.mint(userID: "123", source: 2, expiry: now + 60, secret: APIHarness.secret)
        let id = try #require(
            (try h.call(
                "startLive", ["channel_title": "t", "channel_describe": "d", "cover_url": "c"],
                overriding: ["test": nil, "authtoken": login])["channel"] as? [String: Any])?["channel_id"] as? String)
        // A login token is not an admin token, even the owner's; nor is test=1 where tests are off.
        let asUser = try h.call("banLive", ["channel_id": id], overriding: ["test": nil, "authtoken": login])
        #expect(code(asUser) == 22)
        #expect(code(try h.call("banLive", ["channel_id": id], overriding: ["authtoken": ""])) == 22)
        let sameSecretLogin = AuthTokenVerifier.mint(userID: "9", source: 2, expiry: now + 60, secret: adminSecret)
        #expect(
            code(
                try h.call("banLive", ["channel_id": id], overriding: ["test": nil, "userid": "9", "authtoken": sameSecretLogin]))
                == 22)
        let admin = AuthTokenVerifier.mint(userID: "9", source: 2, expiry: now + 60, secret: adminSecret, purpose: .admin)
        let banned = try h.call(
            "banLive", ["channel_id": id, "reason": "违规内容"], overriding: ["test": nil, "userid": "9", "authtoken": admin])
        #expect(code(banned) == 0 && banned["live_status"] as? Int == 104 && banned["status"] as? String == "CLOSED")
        #expect(h.fanOut.states.last.map { "\($0.1.rawValue) \($0.2)" } == "104 违规内容")
        #expect(h.fanOut.closed.map(\.0.description) == [id])
        let again = try h.call("stopLive", ["channel_id": id], overriding: ["test": nil, "authtoken": login])
        #expect(code(again) == 2 && (again["message"] as? String)?.contains("banned (104)") == true)
        // The owner's cap counts the banned room out.
        #expect(h.api.openChannelCount == 0)
    }

    @Test func likesAreCountedExactlyAndPushedOncePerFlushPerRoom() throws {
        let h = APIHarness()
        let first = try h.startChannel()
        let second = try h.startChannel()
        var sent = 0
        for index in 0..<1000 {
            let count = index % 100 + 1
            sent += count
            #expect(code(try h.call("sendLike", ["channel_id": first, "count": String(count)])) == 0)
        }
        let last = try h.call("sendLike", ["channel_id": second])
        #expect(last["total_likes"] as? Int == 1)
        #expect(h.fanOut.likes.isEmpty)
        h.api.flushNotices()
        let pushed = Dictionary(uniqueKeysWithValues: h.fanOut.likes.map { ($0.0.description, ($0.1, $0.2)) })
        #expect(h.fanOut.likes.count == 2)
        #expect(pushed[first]?.0 == Int64(sent) && pushed[first]?.1 == Int64(sent))
        #expect(pushed[second]?.0 == 1)
        h.api.flushNotices()
        #expect(h.fanOut.likes.count == 2)
        _ = try h.call("sendLike", ["channel_id": first, "count": "5"])
        h.api.flushNotices()
        #expect(h.fanOut.likes.last.map { "\($0.1) \($0.2)" } == "\(sent + 5) 5")
        #expect(try state(h, first)["total_likes"] as? Int == sent + 5)
        for bad in ["0", "101", "-1", "x", "1.5"] {
            #expect(code(try h.call("sendLike", ["channel_id": first, "count": bad])) == -4, "count \(bad)")
        }
        #expect(code(try h.call("sendLike", ["channel_id": "12345"])) == 1)
    }
}
