import Foundation
import Testing
import WliveProtocol

@testable import WliveServer

@Suite("Wlive handshake over real sockets")
struct HandshakeEndToEndTests {
    @Test func acceptedHandshakeIsAcknowledgedInTheSeedsEnvelope() throws {
        let harness = try GatewayHarness()
        defer { harness.gateway.shutdown() }
        let client = try TestWebSocketClient(port: harness.port)
        try client.sendText(GatewayHarness.handshake(interval: 180))
        let ack = try client.nextJSON()
        #expect(ack["type"] as? String == "handshake")
        #expect(ack["code"] as? Int == 0)
        #expect(ack["message"] as? String == "success")
        #expect(ack["channel_id"] as? String == GatewayHarness.channel.description)
        #expect(ack["timer_interval"] as? Int == 180)
        #expect(ack["online_num"] as? Int == 0)
        #expect(ack["connections"] as? Int == 1)
        #expect(harness.gateway.channels.lookup(GatewayHarness.channel)?.subscriberCount == 1)
    }

    @Test func intervalIsClampedAndChannelMayComeFromTheQuery() throws {
        let harness = try GatewayHarness {
            $0.session.heartbeat.minInterval = 5
            $0.session.heartbeat.maxInterval = 600
        }
        defer { harness.gateway.shutdown() }
        let client = try TestWebSocketClient(port: harness.port, path: "/ws?channel_id=\(GatewayHarness.channel)")
        try client.sendText(GatewayHarness.handshake(channel: nil, interval: 100_000))
        let ack = try client.nextJSON()
        #expect(ack["code"] as? Int == 0)
        #expect(ack["timer_interval"] as? Int == 600)
        let low = try TestWebSocketClient(port: harness.port)
        try low.sendText(GatewayHarness.handshake(interval: 1))
        #expect(try low.nextJSON()["timer_interval"] as? Int == 5)
    }

    struct Failure: CustomTestStringConvertible, Sendable {
        let name: String
        let text: String
        let code: Int
        let closeCode: UInt16
        var testDescription: String { name }
    }

    static let closedChannel = ChannelID(rawValue: 5)

    static let failures: [Failure] = [
        Failure(name: "not JSON", text: "hello", code: -4, closeCode: 4400),
        Failure(name: "JSON array", text: "[1,2]", code: -4, closeCode: 4400),
        Failure(name: "missing device_id", text: GatewayHarness.handshake(removing: ["device_id"]), code: -4, closeCode: 4400),
        Failure(name: "empty appid", text: GatewayHarness.handshake(replacing: ["appid": ""]), code: -4, closeCode: 4400),
        Failure(name: "no channel", text: GatewayHarness.handshake(channel: nil), code: -4, closeCode: 4400),
        Failure(
            name: "non-numeric channel", text: GatewayHarness.handshake(replacing: ["channel_id": "abc"]), code: -4,
            closeCode: 4400),
        Failure(
            name: "fractional interval", text: GatewayHarness.handshake(replacing: ["timer_interval": 1.5]), code: -4,
            closeCode: 4400),
        Failure(name: "unknown source", text: GatewayHarness.handshake(replacing: ["source": 99]), code: -3, closeCode: 4403),
        Failure(
            name: "unknown channel", text: GatewayHarness.handshake(channel: ChannelID(rawValue: 77)), code: 1, closeCode: 4404),
        Failure(name: "closed channel", text: GatewayHarness.handshake(channel: closedChannel), code: 2, closeCode: 4410),
    ]

    @Test(arguments: failures)
    func refusedHandshakeGetsItsCodeThenItsClose(failure: Failure) async throws {
        let harness = try GatewayHarness()
        defer { harness.gateway.shutdown() }
        await harness.gateway.openChannel(Self.closedChannel)
        _ = await harness.gateway.closeChannel(Self.closedChannel)
        let client = try TestWebSocketClient(port: harness.port)
        try client.sendText(failure.text)
        let answer = try client.nextJSON()
        #expect(answer["type"] as? String == "handshake")
        #expect(answer["code"] as? Int == failure.code)
        #expect((answer["message"] as? String)?.isEmpty == false)
        #expect(try client.nextClose() == failure.closeCode)
        try client.send(.close, [UInt8(failure.closeCode >> 8), UInt8(failure.closeCode & 0xFF)])
        #expect(client.serverHangsUp())
    }

    @Test func numbersMayBeStringsAndTokenMaySpellEitherWay() throws {
        let harness = try GatewayHarness()
        defer { harness.gateway.shutdown() }
        let client = try TestWebSocketClient(port: harness.port)
        try client.sendText(
            GatewayHarness.handshake(
                replacing: ["source": "20", "timer_interval": "30", "im_token": "t"], removing: ["im_toklen"]))
        let ack = try client.nextJSON()
        #expect(ack["code"] as? Int == 0)
        #expect(ack["timer_interval"] as? Int == 30)
    }

    @Test func binaryHandshakeIsRefused() throws {
        let harness = try GatewayHarness()
        defer { harness.gateway.shutdown() }
        let client = try TestWebSocketClient(port: harness.port)
        try client.send(.binary, Array(GatewayHarness.handshake().utf8))
        #expect(try client.nextJSON()["code"] as? Int == -4)
        #expect(try client.nextClose() == 4400)
    }

    @Test func silentClientIsClosedAfterTheHandshakeTimeout() throws {
        let harness = try GatewayHarness { $0.handshakeTimeout = 0.3 }
        defer { harness.gateway.shutdown() }
        let client = try TestWebSocketClient(port: harness.port)
        let answer = try client.nextJSON(timeout: 5)
        #expect(answer["code"] as? Int == -4)
        #expect(try client.nextClose() == 4408)
    }
}
