import Foundation
import Testing
import WliveCodec
import WliveProtocol

@testable import WliveServer

@Suite("WebSocket connection behaviour over real sockets")
struct ConnectionEndToEndTests {
    @Test func heartbeatArrivesEachIntervalWithAPing() throws {
        let harness = try GatewayHarness()
        defer { harness.gateway.shutdown() }
        let client = try harness.subscriber(interval: 1)
        let started = Date()
        let beat = try client.nextFrame(timeout: 5)
        let elapsed = Date().timeIntervalSince(started)
        #expect(beat.opcode == .text)
        let json = try JSONSerialization.jsonObject(with: Data(beat.payload)) as? [String: Any]
        #expect(json?["type"] as? String == "heartbeat")
        #expect(json?["connections"] as? Int == 1)
        #expect(json?["channel_id"] as? String == GatewayHarness.channel.description)
        // One interval, with slack for a loaded machine: not before half of it, not three times late.
        #expect(elapsed > 0.5 && elapsed < 3, "heartbeat after \(elapsed) s")
        #expect(try client.nextFrame().opcode == .ping)
    }

    @Test func pingIsAnsweredWithTheSamePayload() throws {
        let harness = try GatewayHarness()
        defer { harness.gateway.shutdown() }
        let client = try harness.subscriber()
        try client.send(.ping, Array("are you there".utf8))
        let pong = try client.nextFrame()
        #expect(pong.opcode == .pong && pong.text == "are you there")
    }

    @Test func connectionThatNeverAnswersIsClosedAndOneThatDoesStays() throws {
        let harness = try GatewayHarness { $0.session.heartbeat.deadAfter = 2 }
        defer { harness.gateway.shutdown() }
        let silent = try harness.subscriber(interval: 1)
        let lively = try harness.subscriber(interval: 1)
        // The lively client answers every ping for three intervals; the silent one reads but never answers.
        let deadline = Date().addingTimeInterval(3.2)
        var silentClose: UInt16?
        while Date() < deadline {
            _ = try? lively.nextJSON(timeout: 0.2, skipping: ["heartbeat"])
            if silentClose == nil, let frame = try? silent.nextFrame(timeout: 0.05), frame.opcode == .close {
                silentClose = frame.closeCode
            }
        }
        if silentClose == nil { silentClose = try silent.nextClose(timeout: 3) }
        #expect(silentClose == 4409)
        // Still open: it answers a ping of its own.
        try lively.send(.ping, [1])
        var frame = try lively.nextFrame()
        while frame.opcode != .pong {
            if frame.opcode == .ping { try lively.send(.pong, frame.payload) }
            frame = try lively.nextFrame()
        }
        #expect(frame.payload == [1])
        #expect(GatewayHarness.eventually { harness.gateway.channels.lookup(GatewayHarness.channel)?.subscriberCount == 1 })
    }

    @Test func clientCloseIsEchoedThenTheServerHangsUp() throws {
        let harness = try GatewayHarness()
        defer { harness.gateway.shutdown() }
        let client = try harness.subscriber()
        try client.send(.close, WebSocketFrameEncoder.closePayload(code: .normalClosure, reason: "bye"))
        #expect(try client.nextClose() == 1000)
        #expect(client.serverHangsUp())
        #expect(GatewayHarness.eventually { harness.gateway.connectionCount == 0 })
        #expect(harness.gateway.channels.lookup(GatewayHarness.channel)?.subscriberCount == 0)
    }

    @Test func emptyCloseIsAnsweredWithAnEmptyClose() throws {
        let harness = try GatewayHarness()
        defer { harness.gateway.shutdown() }
        let client = try TestWebSocketClient(port: harness.port, path: "/ws")
        try client.send(.close, [])
        #expect(try client.nextClose() == nil)
        #expect(client.serverHangsUp())
    }

    @Test func framesSplitAcrossReadsAreReassembled() throws {
        let harness = try GatewayHarness()
        defer { harness.gateway.shutdown() }
        let client = try harness.subscriber()
        // A ping dribbled one byte per write, then a close split in two: each piece a separate read.
        for byte in WebSocketFrameEncoder.encode(opcode: .ping, payload: Array("slow".utf8), maskingKey: .random()) {
            try client.socket.write([byte])
            usleep(2000)
        }
        #expect(try client.nextFrame().text == "slow")
        let close = WebSocketFrameEncoder.encode(
            opcode: .close, payload: WebSocketFrameEncoder.closePayload(code: .normalClosure, reason: "done"),
            maskingKey: .random())
        try client.socket.write(Array(close.prefix(5)))
        usleep(20_000)
        try client.socket.write(Array(close.dropFirst(5)))
        #expect(try client.nextClose() == 1000)
        #expect(client.serverHangsUp())
    }

    struct Violation: CustomTestStringConvertible, Sendable {
        let name: String
        let bytes: [UInt8]
        let code: UInt16
        var testDescription: String { name }
    }

    static let violations: [Violation] = [
        Violation(name: "unmasked frame", bytes: [0x81, 0x02, 0x68, 0x69], code: 1002),
        Violation(
            name: "reserved opcode",
            bytes: WebSocketFrameEncoder.encode(opcode: WebSocketOpcode(rawValue: 3)!, payload: [1], maskingKey: .random()),
            code: 1002),
        Violation(
            name: "RSV1 bit",
            bytes: {
                var f = WebSocketFrameEncoder.encode(opcode: .text, payload: [0x61], maskingKey: .random())
                f[0] |= 0x40
                return f
            }(), code: 1002),
        Violation(
            name: "invalid UTF-8",
            bytes: WebSocketFrameEncoder.encode(opcode: .text, payload: [0xED, 0xA0, 0x80], maskingKey: .random()), code: 1007),
        Violation(
            name: "message too big",
            bytes: WebSocketFrameEncoder.encode(
                opcode: .binary, payload: [UInt8](repeating: 0, count: 2000), maskingKey: .random()), code: 1009),
        Violation(
            name: "invalid close code",
            bytes: WebSocketFrameEncoder.encode(opcode: .close, payload: [0x03, 0xED], maskingKey: .random()), code: 1002),
        Violation(
            name: "orphan continuation",
            bytes: WebSocketFrameEncoder.encode(opcode: .continuation, payload: [1], maskingKey: .random()), code: 1002),
    ]

    @Test(arguments: violations)
    func protocolViolationClosesWithItsCode(violation: Violation) throws {
        let harness = try GatewayHarness { $0.maxMessageSize = 1024 }
        defer { harness.gateway.shutdown() }
        let client = try harness.subscriber()
        try client.socket.write(violation.bytes)
        #expect(try client.nextClose() == violation.code)
        #expect(client.serverHangsUp())
    }

    @Test func upstreamCommentsGetAnErrorThenA1008() throws {
        let harness = try GatewayHarness { $0.session.upstreamAllowance = 2 }
        defer { harness.gateway.shutdown() }
        let client = try harness.subscriber()
        try client.sendText("ping")
        try client.sendText("{\"type\":\"heartbeat\"}")
        for _ in 0..<2 {
            try client.sendText("{\"content\":\"hello from below\"}")
            let error = try client.nextJSON()
            #expect(error["type"] as? String == "error")
            #expect(error["code"] as? Int == 22)
            #expect((error["message"] as? String)?.contains("sendComment") == true)
        }
        try client.send(.binary, [1, 2, 3])
        #expect(try client.nextJSON()["type"] as? String == "error")
        #expect(try client.nextClose() == 1008)
    }
}
