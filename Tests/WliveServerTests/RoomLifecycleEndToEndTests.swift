import Foundation
import Testing
import WliveAPI
import WliveCodec
import WliveProtocol

@testable import WliveServer

@Suite("The room life-cycle and likes over real sockets")
struct RoomLifecycleEndToEndTests {
    @Test func pauseResumeAndBanReachViewersAsStatusNoticesAndABanClosesThem() throws {
        let harness = try GatewayHarness()
        defer { harness.gateway.shutdown() }
        let api = TestAPIClient(port: harness.httpPort)
        let channel = try api.startLive()
        let viewer = try harness.subscriber(channel: channel)
        #expect(try api.sendComment(channel, "before the pause")["code"] as? Int == 0)
        #expect(try api.call("pauseLive", "channel_id=\(channel)")["live_status"] as? Int == 105)
        // The comment accepted before the pause arrives before the pause's notice.
        #expect(try viewer.nextJSON(skipping: ["heartbeat"])["content"] as? String == "before the pause")
        let paused = try viewer.nextJSON(skipping: ["heartbeat"])
        #expect(paused["notice"] as? String == "status" && paused["live_status"] as? Int == 105)
        #expect(paused["state"] as? String == "paused" && paused["status"] as? String == "NORMAL")
        #expect(try api.sendComment(channel, "while paused")["code"] as? Int == 2)
        // A viewer joining now is told the room is paused at once.
        let late = try harness.subscriber(channel: channel)
        #expect(try api.call("resumeLive", "channel_id=\(channel)")["live_status"] as? Int == 101)
        for client in [viewer, late] {
            #expect(try client.nextJSON(skipping: ["heartbeat"])["live_status"] as? Int == 101)
        }
        #expect(try api.sendComment(channel, "after")["code"] as? Int == 0)
        #expect(try viewer.nextJSON(skipping: ["heartbeat"])["content"] as? String == "after")
        // Admin calls take test=1 only where auth.allow_test is true, as in this test gateway.
        #expect(try api.call("banLive", "channel_id=\(channel)&reason=rules")["live_status"] as? Int == 104)
        let banned = try viewer.nextJSON(skipping: ["heartbeat", "comment"])
        #expect(
            banned["notice"] as? String == "status" && banned["live_status"] as? Int == 104
                && banned["reason"] as? String == "rules")
        let closed = try viewer.nextJSON(skipping: ["heartbeat"])
        #expect(closed["type"] as? String == "channel_closed" && closed["live_status"] as? Int == 104)
        #expect(try viewer.nextClose() == 1000)
        let refused = try TestWebSocketClient(port: harness.port)
        try refused.sendText(GatewayHarness.handshake(channel: channel))
        #expect(try refused.nextJSON()["code"] as? Int == 2)
    }

    @Test func aHandshakeOnAPausedRoomIsAcceptedWithItsState() throws {
        let harness = try GatewayHarness()
        defer { harness.gateway.shutdown() }
        let api = TestAPIClient(port: harness.httpPort)
        let channel = try api.startLive()
        _ = try api.call("pauseLive", "channel_id=\(channel)")
        // The push tier learns of the pause once it is durable, a moment after the answer.
        var acknowledgement: [String: Any] = [:]
        #expect(
            GatewayHarness.eventually {
                guard let viewer = try? TestWebSocketClient(port: harness.port),
                    (try? viewer.sendText(GatewayHarness.handshake(channel: channel))) != nil,
                    let ack = try? viewer.nextJSON()
                else { return false }
                acknowledgement = ack
                return ack["live_status"] as? Int == 105
            })
        #expect(acknowledgement["code"] as? Int == 0 && acknowledgement["status"] as? String == "NORMAL")
    }

    @Test func theAnchorsOwnSocketTakesAPlannedRoomLiveAndItsClosingLeavesTheRoomAbnormal() throws {
        let secret = "login-secret"
        let harness = try GatewayHarness {
            $0.api.authSecrets = [secret]
            $0.api.anchorTimeout = 1
        }
        defer { harness.gateway.shutdown() }
        let api = TestAPIClient(port: harness.httpPort)
        let later = Int64(Date().timeIntervalSince1970 * 1000) + 3_600_000
        let reply = try api.call("startLive", "channel_title=t&channel_describe=d&cover_url=c&plan_start_time=\(later)")
        let channel = try #require(((reply["channel"] as? [String: Any])?["channel_id"] as? String).flatMap { ChannelID($0) })
        let status = { try api.call("retrieveChannel", "channel_ids=%5B%22\(channel)%22%5D") }
        #expect(((try status())["channel"] as? [[String: Any]])?.first?["live_status"] as? Int == 102)
        // Not the anchor: another user, or the owner with a forged token.
        let token = AuthTokenVerifier.mint(userID: "123", source: 2, expiry: later / 1000, secret: secret)
        for (user, presented) in [("456", token), ("123", token + "x")] {
            let viewer = try TestWebSocketClient(port: harness.port)
            try viewer.sendText(
                GatewayHarness.handshake(channel: channel, replacing: ["user_id": user, "source": 2, "im_toklen": presented]))
            #expect(try viewer.nextJSON()["live_status"] as? Int == 102)
        }
        var anchor: TestWebSocketClient? = try TestWebSocketClient(port: harness.port)
        try anchor?.sendText(
            GatewayHarness.handshake(channel: channel, replacing: ["user_id": "123", "source": 2, "im_toklen": token]))
        #expect(try anchor?.nextJSON()["code"] as? Int == 0)
        func liveStatus() throws -> Int? { ((try status())["channel"] as? [[String: Any]])?.first?["live_status"] as? Int }
        #expect(GatewayHarness.eventually { (try? liveStatus()) == 101 })
        anchor = nil  // its socket closes
        // live.anchor_timeout is 1 s, and the clock ticks once a second.
        #expect(GatewayHarness.eventually(timeout: 10) { (try? liveStatus()) == 106 })
    }

    @Test func aBurstOfLikesReachesViewersAsFewNoticesWithTheExactTotal() throws {
        let harness = try GatewayHarness()
        defer { harness.gateway.shutdown() }
        let api = TestAPIClient(port: harness.httpPort)
        let channel = try api.startLive()
        let viewer = try harness.subscriber(channel: channel)
        var sent = 0
        for index in 0..<300 {
            let count = index % 7 + 1
            sent += count
            #expect(try api.call("sendLike", "channel_id=\(channel)&count=\(count)")["code"] as? Int == 0)
        }
        var notices = 0
        var summed = 0
        var total = 0
        while total < sent {
            let notice = try viewer.nextJSON(skipping: ["heartbeat"])
            guard notice["notice"] as? String == "likes" else { continue }
            notices += 1
            summed += notice["delta"] as? Int ?? 0
            total = notice["total_likes"] as? Int ?? 0
        }
        #expect(total == sent && summed == sent)
        // Coalesced: one a second per room, not one per call (the calls took well under 300 s).
        #expect(notices < 20)
        let listed = try api.call("retrieveChannel", "channel_ids=%5B%22\(channel)%22%5D")
        #expect((listed["channel"] as? [[String: Any]])?.first?["total_likes"] as? Int == sent)
    }
}
