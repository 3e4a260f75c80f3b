import Foundation
import Testing
import WliveCodec

@testable import WliveServer

@Suite("HTTP API over real sockets")
struct APIEndToEndTests {
    func harness(_ configure: (inout GatewayConfiguration) -> Void = { _ in }) throws -> (GatewayHarness, TestAPIClient) {
        let harness = try GatewayHarness(configure)
        return (harness, TestAPIClient(port: harness.httpPort))
    }

    @Test func aChannelOpenedThroughTheSwiftAPIIsOneTheHTTPAPIKnowsToo() async throws {
        // Once, only the push tier learnt of it, and sendComment answered 1 (channel not found).
        let (harness, api) = try harness()
        defer { harness.gateway.shutdown() }
        let viewer = try harness.subscriber()
        let sent = try api.sendComment(GatewayHarness.channel, "embedded room")
        #expect(sent["code"] as? Int == 0 && sent["seq"] as? Int == 1)
        #expect(try viewer.nextJSON(skipping: ["heartbeat", "notice"])["content"] as? String == "embedded room")
        let listed = try api.call("retrieveChannel", "channel_ids=%5B%22\(GatewayHarness.channel)%22%5D")
        #expect((listed["channel"] as? [[String: Any]])?.first?["status"] as? String == "NORMAL")
        #expect(await harness.gateway.openChannel(GatewayHarness.channel) == false)
    }

    @Test func spamNeverReachesASubscriberWhileTheNextCleanCommentDoes() async throws {
        let (harness, api) = try harness()
        defer { harness.gateway.shutdown() }
        let channel = try api.startLive()
        let viewer = try harness.subscriber(channel: channel)
        let refused = try api.sendComment(channel, "加微 wlive888 领福利")
        #expect(refused["code"] as? Int == 303 && refused["reason"] as? String == "contact")
        let accepted = try api.sendComment(channel, "主播好！")
        #expect(accepted["code"] as? Int == 0 && accepted["seq"] as? Int == 1)
        let comment = try viewer.nextJSON(skipping: ["heartbeat", "notice"])
        #expect(comment["content"] as? String == "主播好！" && comment["seq"] as? Int == 1 && comment["userid"] as? String == "123")
        #expect((await harness.gateway.spamRefusals())["contact"] == 1)
    }

    @Test func stopLiveDeliversPendingCommentsThenClosesSubscribers() throws {
        let (harness, api) = try harness()
        defer { harness.gateway.shutdown() }
        let channel = try api.startLive()
        let viewer = try harness.subscriber(channel: channel)
        for (index, user) in ["a", "b", "c"].enumerated() {
            #expect(try api.sendComment(channel, "comment \(index)", user: user)["code"] as? Int == 0)
        }
        #expect(try api.call("stopLive", "channel_id=\(channel)&reason=bye")["code"] as? Int == 0)
        for index in 0..<3 {
            #expect(try viewer.nextJSON(skipping: ["heartbeat", "notice"])["content"] as? String == "comment \(index)")
        }
        #expect(try viewer.nextJSON(skipping: ["heartbeat", "notice"])["type"] as? String == "channel_closed")
        #expect(try viewer.nextClose() == 1000)
        #expect(try api.sendComment(channel, "late")["code"] as? Int == 2)
        let late = try TestWebSocketClient(port: harness.port)
        try late.sendText(GatewayHarness.handshake(channel: channel))
        #expect(try late.nextJSON()["code"] as? Int == 2)
    }

    @Test func joinLiveReachesSubscribersAsOneCoalescedNotice() throws {
        let (harness, api) = try harness()
        defer { harness.gateway.shutdown() }
        let channel = try api.startLive()
        let viewer = try harness.subscriber(channel: channel)
        for user in ["x", "y", "z"] {
            let reply = try api.call("joinLive", "channel_id=\(channel)&event=beginwatch&ext_json=null&userid=\(user)")
            #expect(reply["code"] as? Int == 0)
        }
        let notice = try viewer.nextJSON(timeout: 5, skipping: ["heartbeat"])
        #expect(notice["type"] as? String == "notice" && notice["notice"] as? String == "online_count")
        #expect(notice["online_num"] as? Int == 3 && notice["total_num"] as? Int == 3 && notice["connections"] as? Int == 1)
    }

    @Test func keepAlivePipeliningAndConnectionClose() throws {
        let (harness, _) = try harness()
        defer { harness.gateway.shutdown() }
        let socket = try TestSocket(port: harness.httpPort)
        let first = TestAPIClient.request("retrieveChannel", "channel_ids=%5B%5D")
        let second = TestAPIClient.request("retrieveChannel", "channel_ids=%5B%221%22%5D")
        try socket.write(first + second)
        let one = try socket.readResponse()
        let two = try socket.readResponse()
        #expect(one.json?["not_found"] as? [String] == [] && two.json?["not_found"] as? [String] == ["1"])
        // Same socket, a third request, then one that asks to close.
        try socket.write(TestAPIClient.request("retrieveChannel", "channel_ids=%5B%5D"))
        #expect(try socket.readResponse().status == 200)
        try socket.write(TestAPIClient.request("retrieveChannel", "channel_ids=%5B%5D", connection: "close"))
        let last = try socket.readResponse()
        #expect(last.status == 200 && last.headers["connection"] == "close")
        #expect(try socket.readToEnd(timeout: 3).isEmpty && socket.sawEOF)
    }

    @Test func chunkedBodiesAreAccepted() throws {
        let (harness, _) = try harness()
        defer { harness.gateway.shutdown() }
        let body = TestAPIClient.common + "&channel_ids=%5B%5D"
        let chunked =
            "POST /live/retrieveChannel HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\nContent-Type: application/x-www-form-urlencoded\r\n\r\n"
            + String(body.utf8.count / 2, radix: 16) + "\r\n" + String(body.prefix(body.utf8.count / 2)) + "\r\n"
            + String(body.utf8.count - body.utf8.count / 2, radix: 16) + "\r\n" + String(body.dropFirst(body.utf8.count / 2))
            + "\r\n0\r\n\r\n"
        let socket = try TestSocket(port: harness.httpPort)
        try socket.write(chunked)
        #expect(try socket.readResponse().json?["code"] as? Int == 0)
    }

    @Test func limitsAndErrorsGetTheirStatus() throws {
        let (harness, _) = try harness {
            $0.apiMaxBodySize = 1024
            $0.apiMaxHeaderSize = 2048
            $0.apiRequestTimeout = 0.5
        }
        defer { harness.gateway.shutdown() }
        func status(_ raw: String) throws -> Int {
            let socket = try TestSocket(port: harness.httpPort)
            try socket.write(raw)
            return try socket.readResponse().status
        }
        #expect(try status("POST /live/sendComment HTTP/1.1\r\nContent-Length: 5000\r\n\r\n") == 413)
        #expect(try status("GET /live/startLive HTTP/1.1\r\nX: \(String(repeating: "a", count: 3000))\r\n\r\n") == 431)
        #expect(try status("BLAH\r\n\r\n") == 400)
        #expect(try status("GET /nowhere HTTP/1.1\r\n\r\n") == 404)
        #expect(try status("DELETE /live/startLive HTTP/1.1\r\n\r\n") == 405)
        #expect(try status("POST /live/startLive HTTP/1.1\r\nContent-Length: 10\r\n\r\nabc") == 408)
        // An idle keep-alive connection is closed quietly.
        let idle = try TestSocket(port: harness.httpPort)
        #expect(try idle.readToEnd(timeout: 3).isEmpty && idle.sawEOF)
    }

    @Test func truncatedAndRandomRequestsNeverHurtTheServer() throws {
        let (harness, api) = try harness { $0.apiRequestTimeout = 0.5 }
        defer { harness.gateway.shutdown() }
        let valid = Array(TestAPIClient.request("retrieveChannel", "channel_ids=%5B%5D").utf8)
        for round in 0..<60 {
            let socket = try TestSocket(port: harness.httpPort)
            if round % 2 == 0 {
                try socket.write(Array(valid.prefix(Int.random(in: 1..<valid.count))))
            } else {
                try socket.write((0..<Int.random(in: 1..<400)).map { _ in UInt8.random(in: 0...255) })
            }
            _ = try? socket.readToEnd(timeout: 2)
        }
        #expect(try api.call("retrieveChannel", "channel_ids=%5B%5D")["code"] as? Int == 0)
    }

    @Test func reloadingTheDictionaryKeepsConnections() async throws {
        let file = FileManager.default.temporaryDirectory.appendingPathComponent("words-\(UUID().uuidString).txt").path
        try "# test list\nfoo\n".write(toFile: file, atomically: true, encoding: .utf8)
        let (harness, api) = try harness { $0.bannedWordsFile = file }
        defer { harness.gateway.shutdown() }
        let channel = try api.startLive()
        let viewer = try harness.subscriber(channel: channel)
        #expect(try api.sendComment(channel, "hello zebra")["code"] as? Int == 0)
        try "# test list\nfoo\nzebra\n".write(toFile: file, atomically: true, encoding: .utf8)
        #expect(try await harness.gateway.reloadDictionary() == 2)
        #expect(GatewayHarness.eventually { (try? api.sendComment(channel, "z e b r a!", user: "456"))?["code"] as? Int == 303 })
        #expect(try viewer.nextJSON(skipping: ["heartbeat", "notice"])["content"] as? String == "hello zebra")
        try viewer.send(.ping, [7])
        var frame = try viewer.nextFrame()
        while frame.opcode != .pong { frame = try viewer.nextFrame() }
        #expect(frame.payload == [7])
    }
}
