import Foundation
import Testing
import WliveAPI
import WliveConfig
import WliveProtocol

@testable import WliveServer

@Suite("Moderation over real sockets")
struct ModerationEndToEndTests {
    /// A viewer of `channel` resuming after `since` in `epoch`; returns it and its acknowledgement.
    func resume(_ harness: GatewayHarness, _ channel: ChannelID, after since: Int, epoch: Int) throws -> (
        TestWebSocketClient, [String: Any]
    ) {
        let client = try TestWebSocketClient(port: harness.port)
        try client.sendText(
            GatewayHarness.handshake(channel: channel, replacing: ["since_seq": since, "epoch": String(epoch)]))
        return (client, try client.nextJSON())
    }

    /// The next `count` messages as "seq" for a comment and "gap from-to reason" for a gap.
    func stream(_ client: TestWebSocketClient, _ count: Int) throws -> [String] {
        try (0..<count).map { _ in
            let message = try client.nextJSON(skipping: ["heartbeat", "notice"])
            if message["type"] as? String == "gap" {
                return
                    "gap \(message["from_seq"] as? Int ?? 0)-\(message["to_seq"] as? Int ?? 0) \(message["reason"] as? String ?? "")"
            }
            return "\(message["seq"] as? Int ?? -1)"
        }
    }

    func deletedAndResumed(ringCapacity: Int) throws {
        let harness = try GatewayHarness { $0.ringCapacity = ringCapacity }
        defer { harness.gateway.shutdown() }
        let api = TestAPIClient(port: harness.httpPort)
        let channel = try api.startLive()
        let live = try harness.subscriber(channel: channel)
        var ids: [String] = []
        for index in 1...40 {
            ids.append(try #require(try api.sendComment(channel, "comment \(index)", user: "u\(index)")["comment_id"] as? String))
        }
        #expect(try stream(live, 40) == (1...40).map(String.init))
        for seq in [3, 4, 30] {
            #expect(try api.call("deleteComment", "channel_id=\(channel)&comment_id=\(ids[seq - 1])")["code"] as? Int == 0)
        }
        for seq in [3, 4, 30] {
            let deleted = try live.nextJSON(skipping: ["heartbeat", "notice"])
            #expect(deleted["type"] as? String == "comment_deleted" && deleted["seq"] as? Int == seq)
            #expect(deleted["id"] as? String == ids[seq - 1])
        }
        let epoch = try #require(
            (try api.call("retrieveComments", "channel_id=\(channel)&get_count=1"))["epoch"] as? Int)
        let (resumed, ack) = try resume(harness, channel, after: 1, epoch: epoch)
        #expect(ack["code"] as? Int == 0 && ack["resumed"] as? Bool == true)
        let expected =
            ["2", "gap 3-4 retracted"] + (5...29).map(String.init) + ["gap 30-30 retracted"] + (31...40).map(String.init)
        #expect(try stream(resumed, expected.count) == expected)
        #expect(try api.sendComment(channel, "after")["seq"] as? Int == 41)
        #expect(try stream(resumed, 1) == ["41"])
        let page = try api.call("retrieveComments", "channel_id=\(channel)&get_count=100")
        #expect((page["comments"] as? [[String: Any]])?.count == 38 && page["retracted_seqs"] as? [Int] == [3, 4, 30])
    }

    @Test func aDeletedCommentReachesLiveViewersAsADeletionAndResumersNeverFromTheRing() throws {
        try deletedAndResumed(ringCapacity: 4096)
    }

    @Test func aDeletedCommentNeverReachesAResumerFromTheHistory() throws {
        // A ring of 16 cannot cover 40 comments: the resume reads the store.
        try deletedAndResumed(ringCapacity: 16)
    }

    @Test func aCommentStillBeingStoredWhenItsUserIsPurgedReachesNobody() throws {
        let harness = try GatewayHarness()
        defer { harness.gateway.shutdown() }
        let api = TestAPIClient(port: harness.httpPort)
        let channel = try api.startLive()
        let viewer = try harness.subscriber(channel: channel)
        // Both in one write: the purge is handled while the comment waits for the store's commit.
        let comment = String(
            decoding: try JSONSerialization.data(withJSONObject: ["channel_id": channel.description, "content": "广告"]),
            as: UTF8.self)
        let socket = try TestSocket(port: harness.httpPort)
        try socket.write(
            TestAPIClient.request("sendComment", "comment=\(TestAPIClient.encode(comment))&userid=troll")
                + TestAPIClient.request(
                    "banUser", "channel_id=\(channel)&target_userid=troll&target_source=2&purge_minutes=5", connection: "close"))
        #expect(try socket.readResponse().json?["code"] as? Int == 0)
        #expect(try socket.readResponse().json?["code"] as? Int == 0)
        var seen: [String] = []
        while seen.count < 2 {
            let message = try viewer.nextJSON(skipping: ["heartbeat", "notice"])
            seen.append("\(message["type"] as? String ?? "") \(message["reason"] as? String ?? "")")
        }
        #expect(seen == ["comments_purged ", "gap retracted"])
        #expect(try api.sendComment(channel, "clean")["seq"] as? Int == 2)
        #expect(try viewer.nextJSON(skipping: ["heartbeat", "notice"])["content"] as? String == "clean")
    }

    @Test func aPinnedCommentAndTheModesAreInEveryFreshAcknowledgement() throws {
        let harness = try GatewayHarness()
        defer { harness.gateway.shutdown() }
        let api = TestAPIClient(port: harness.httpPort)
        let channel = try api.startLive()
        let live = try harness.subscriber(channel: channel)
        let id = try #require(try api.sendComment(channel, "欢迎来到直播间")["comment_id"] as? String)
        #expect(try api.call("pinComment", "channel_id=\(channel)&comment_id=\(id)")["code"] as? Int == 0)
        #expect(try api.call("setRoomMode", "channel_id=\(channel)&slow_mode=5&anchor_only=1")["code"] as? Int == 0)
        _ = try live.nextJSON(skipping: ["heartbeat"])
        let pinned = try live.nextJSON(skipping: ["heartbeat"])
        #expect(pinned["notice"] as? String == "pinned" && (pinned["pinned"] as? [String: Any])?["id"] as? String == id)
        let modes = try live.nextJSON(skipping: ["heartbeat"])
        #expect(modes["notice"] as? String == "modes" && modes["slow_mode"] as? Int == 5 && modes["anchor_only"] as? Bool == true)
        let late = try TestWebSocketClient(port: harness.port)
        try late.sendText(GatewayHarness.handshake(channel: channel))
        let ack = try late.nextJSON()
        #expect(ack["code"] as? Int == 0 && (ack["pinned"] as? [String: Any])?["content"] as? String == "欢迎来到直播间")
        #expect(ack["slow_mode"] as? Int == 5 && ack["anchor_only"] as? Bool == true)
        #expect(try api.sendComment(channel, "viewer", user: "v1")["code"] as? Int == 22)
        #expect(try api.call("unpinComment", "channel_id=\(channel)")["code"] as? Int == 0)
        #expect(
            GatewayHarness.eventually {
                guard let fresh = try? TestWebSocketClient(port: harness.port),
                    (try? fresh.sendText(GatewayHarness.handshake(channel: channel))) != nil,
                    let answer = try? fresh.nextJSON()
                else { return false }
                return answer["pinned"] is NSNull
            })
    }

    @Test func aPrivateRoomTakesOnlyViewersWithATokenForItAndThemselves() throws {
        let secret = "viewer-secret"
        let harness = try GatewayHarness { $0.api.authSecrets = [secret] }
        defer { harness.gateway.shutdown() }
        let api = TestAPIClient(port: harness.httpPort)
        let reply = try api.call("startLive", "channel_title=t&channel_describe=d&cover_url=c&private=1")
        let channel = try #require(((reply["channel"] as? [String: Any])?["channel_id"] as? String).flatMap { ChannelID($0) })
        let expiry = Int64(Date().timeIntervalSince1970) + 60
        let token = AuthTokenVerifier.mintViewer(userID: "v1", channel: channel.description, expiry: expiry, secret: secret)
        let otherRoom = AuthTokenVerifier.mintViewer(userID: "v1", channel: "12345", expiry: expiry, secret: secret)
        for (user, presented) in [("v1", ""), ("v2", token), ("v1", otherRoom), ("v1", token + "x")] {
            let refused = try TestWebSocketClient(port: harness.port)
            try refused.sendText(GatewayHarness.handshake(channel: channel, replacing: ["user_id": user, "im_token": presented]))
            #expect(try refused.nextJSON()["code"] as? Int == -2, "user \(user), token \(presented.prefix(12))")
            #expect(try refused.nextClose() == 4401)
        }
        let admitted = try TestWebSocketClient(port: harness.port)
        try admitted.sendText(GatewayHarness.handshake(channel: channel, replacing: ["user_id": "v1", "im_token": token]))
        #expect(try admitted.nextJSON()["code"] as? Int == 0)
        // A public room keeps taking the seed's anonymous viewers.
        #expect(throws: Never.self) { _ = try harness.subscriber() }
    }
}
