import Foundation
import Testing
import WliveCodec
import WliveConfig

@testable import WliveServer

/// Inputs an outside probe used against the gateway, over real sockets: each must get a clear
/// answer and leave every other client served.
@Suite("Hostile input over real sockets")
struct HostileInputEndToEndTests {
    /// Sends `head`, waits so the body arrives in a later TCP segment, then sends `body`.
    func splitExchange(port: Int, head: String, body: String) throws -> String {
        let socket = try TestSocket(port: port)
        try socket.write(head)
        usleep(100_000)
        try? socket.write(body)
        return String(decoding: try socket.readToEnd(timeout: 5), as: UTF8.self)
    }

    @Test func anUpgradeWhoseBodyArrivesLaterIsRefusedOnBothPorts() async throws {
        let harness = try GatewayHarness()
        defer { harness.gateway.shutdown() }
        let subscriber = try harness.subscriber()
        let upgrade =
            "Upgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Key: \(TestWebSocketClient.sampleKey)\r\nSec-WebSocket-Version: 13\r\n"
        let cases: [(port: Int, head: String, body: String)] = [
            (harness.httpPort, "POST /live/sendComment HTTP/1.1\r\nHost: x\r\n\(upgrade)Content-Length: 5\r\n\r\n", "hello"),
            (
                harness.httpPort, "POST /live/sendComment HTTP/1.1\r\nHost: x\r\n\(upgrade)Transfer-Encoding: chunked\r\n\r\n",
                "5\r\nhello\r\n0\r\n\r\n"
            ),
            (
                harness.port, "GET /ws HTTP/1.1\r\nHost: x\r\n\(upgrade)Transfer-Encoding: chunked\r\n\r\n",
                "5\r\nhello\r\n0\r\n\r\n"
            ),
            (
                harness.port, "GET /ws HTTP/1.1\r\nHost: x\r\n\(upgrade)Transfer-Encoding: chunked\r\n\r\n5\r\n",
                "hello\r\n0\r\n\r\n"
            ),
        ]
        for (port, head, body) in cases {
            let answer = try splitExchange(port: port, head: head, body: body)
            #expect(answer.hasPrefix("HTTP/1.1 400"), "\(head.debugDescription) answered \(answer.prefix(80).debugDescription)")
        }
        // The process is alive and the subscriber still gets comments.
        #expect(await harness.publish("still here") != nil)
        #expect(try subscriber.nextJSON(skipping: ["heartbeat", "notice"])["content"] as? String == "still here")
    }

    @Test func aHeadPaddedWithSpacesCountsInFull() throws {
        let harness = try GatewayHarness()
        defer { harness.gateway.shutdown() }
        let padded =
            "POST /live/retrieveChannel HTTP/1.1\r\nHost: x\r\nX:" + String(repeating: " ", count: 70_000)
            + "y\r\nContent-Length: 0\r\n\r\n"
        let answer = try TestWebSocketClient.rawExchange(port: harness.httpPort, Array(padded.utf8))
        #expect(answer.hasPrefix("HTTP/1.1 431"))
    }

    @Test func handshakeIntegersAtTheEdgeOfIntNeitherCrashNorGetRefused() throws {
        let harness = try GatewayHarness()
        defer { harness.gateway.shutdown() }
        // Int.min once trapped in abs(); huge intervals are clamped, as the protocol documents.
        for (field, value, code) in [
            ("source", "-9223372036854775808", -3), ("timer_interval", "-9223372036854775808", -4),
            ("timer_interval", "1000000000000000", 0), ("timer_interval", "99999999999999999999999", 0),
        ] {
            let client = try TestWebSocketClient(port: harness.port)
            let text = GatewayHarness.handshake().replacingOccurrences(
                of: "\"\(field)\":\(field == "source" ? 20 : 60)", with: "\"\(field)\":\(value)")
            try client.sendText(text)
            let ack = try client.nextJSON()
            #expect(ack["code"] as? Int == code, "\(field)=\(value): \(ack)")
            if code == 0 { #expect(ack["timer_interval"] as? Int == harness.gateway.configuration.session.heartbeat.maxInterval) }
        }
    }

    @Test func connectionsOverTheCapGet503AndAreCounted() throws {
        let harness = try GatewayHarness { $0.maxConnections = 2 }
        defer { harness.gateway.shutdown() }
        let viewers = [try harness.subscriber(), try harness.subscriber()]
        let answer = try TestWebSocketClient.rawExchange(
            port: harness.port, Array(TestWebSocketClient.upgradeRequest(path: "/ws").utf8))
        #expect(answer.hasPrefix("HTTP/1.1 503") && answer.contains("Retry-After: 1"))
        #expect(harness.gateway.loopStatistics.map(\.refusedConnections).reduce(0, +) == 1)
        #expect(viewers.count == 2)
    }

    @Test func moreWorkersThanTheWakeMaskHoldsIsAConfigurationErrorNotATrap() {
        var configuration = GatewayConfiguration()
        configuration.workers = 65
        #expect(throws: GatewayError.self) { try Gateway(configuration: configuration).start() }
    }
}

@Suite("Stopped channels give their memory back")
struct ChannelReleaseEndToEndTests {
    @Test func aStoppedChannelsRecordAndRingAreFreedOnceItsViewersAreGone() throws {
        let harness = try GatewayHarness(workers: 2)
        defer { harness.gateway.shutdown() }
        let api = TestAPIClient(port: harness.httpPort)
        let channel = try api.startLive()
        let viewer = try harness.subscriber(channel: channel)
        #expect(code(try api.sendComment(channel, "one comment")) == 0)
        #expect(try viewer.nextJSON(skipping: ["heartbeat", "notice"])["content"] as? String == "one comment")
        weak let record = harness.gateway.channels.lookup(channel)
        #expect(record?.ring.isAllocated == true)
        #expect(code(try api.call("stopLive", "channel_id=\(channel)")) == 0)
        #expect(try viewer.nextJSON(skipping: ["heartbeat", "notice"])["type"] as? String == "channel_closed")
        #expect(try viewer.nextClose() == 1000)
        // Only a tombstone stays: handshakes still learn the channel is closed.
        #expect(GatewayHarness.eventually { record == nil })
        #expect(harness.gateway.channels.state(of: channel) == .ended)
        let late = try TestWebSocketClient(port: harness.port)
        try late.sendText(GatewayHarness.handshake(channel: channel))
        #expect(try late.nextJSON()["code"] as? Int == 2)
    }
}

private func code(_ reply: [String: Any]) -> Int? { reply["code"] as? Int }
