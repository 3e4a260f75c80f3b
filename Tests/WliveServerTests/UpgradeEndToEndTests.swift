import Foundation
import Testing
import WliveCodec

@testable import WliveServer

@Suite("HTTP upgrade over real sockets")
struct UpgradeEndToEndTests {
    func status(of answer: String) -> Int? {
        guard answer.hasPrefix("HTTP/1.1 ") else { return nil }
        return Int(answer.dropFirst(9).prefix(3))
    }

    @Test func errorsGetTheirStatus() throws {
        let harness = try GatewayHarness { $0.maxHeaderSize = 1024 }
        defer { harness.gateway.shutdown() }
        let port = harness.port
        func exchange(_ text: String) throws -> Int? {
            status(of: try TestWebSocketClient.rawExchange(port: port, Array(text.utf8)))
        }
        #expect(try exchange(TestWebSocketClient.upgradeRequest(path: "/nope")) == 404)
        #expect(try exchange("GET /ws HTTP/1.1\r\nHost: x\r\n\r\n") == 426)
        #expect(
            try exchange(TestWebSocketClient.upgradeRequest(path: "/ws").replacingOccurrences(of: "GET", with: "POST")) == 405)
        #expect(
            try exchange(
                TestWebSocketClient.upgradeRequest(path: "/ws").replacingOccurrences(
                    of: TestWebSocketClient.sampleKey, with: "short")) == 400)
        #expect(
            try exchange(
                TestWebSocketClient.upgradeRequest(path: "/ws").replacingOccurrences(of: "Version: 13", with: "Version: 8"))
                == 426)
        #expect(
            try exchange(
                TestWebSocketClient.upgradeRequest(path: "/ws", extraHeaders: ["X-Big: " + String(repeating: "x", count: 2000)]))
                == 431)
        #expect(try exchange("\u{16}\u{03}\u{01}\u{02}\u{00}\u{01}\r\n\r\n") == 400)
        let versionAnswer = try TestWebSocketClient.rawExchange(
            port: port,
            Array(
                TestWebSocketClient.upgradeRequest(path: "/ws").replacingOccurrences(of: "Version: 13", with: "Version: 8").utf8))
        #expect(versionAnswer.contains("Sec-WebSocket-Version: 13"))
    }

    @Test func originAllowlistRefusesStrangers() throws {
        let harness = try GatewayHarness { $0.allowedOrigins = ["https://live.example"] }
        defer { harness.gateway.shutdown() }
        let stranger = try TestWebSocketClient.rawExchange(
            port: harness.port,
            Array(TestWebSocketClient.upgradeRequest(path: "/ws", extraHeaders: ["Origin: https://evil.example"]).utf8))
        #expect(status(of: stranger) == 403)
        _ = try TestWebSocketClient(port: harness.port, extraHeaders: ["Origin: https://live.example"])
    }

    @Test func stalledRequestTimesOutWith408() throws {
        let harness = try GatewayHarness { $0.requestTimeout = 0.3 }
        defer { harness.gateway.shutdown() }
        let answer = try TestWebSocketClient.rawExchange(port: harness.port, Array("GET /ws HTTP/1.1\r\nHost: x\r\n".utf8))
        #expect(status(of: answer) == 408)
    }

    @Test func randomBytesNeverCrashTheServer() throws {
        let harness = try GatewayHarness { $0.requestTimeout = 0.5 }
        defer { harness.gateway.shutdown() }
        for round in 0..<40 {
            var bytes = (0..<Int.random(in: 1..<300)).map { _ in UInt8.random(in: 0...255) }
            if round % 2 == 0 { bytes = Array(TestWebSocketClient.upgradeRequest(path: "/ws").utf8) + bytes }
            let socket = try TestSocket(port: harness.port)
            try socket.write(bytes)
            _ = try? socket.readToEnd(timeout: 3)
        }
        // Still serving.
        _ = try harness.subscriber()
    }

    @Test func echoEndpointIsOffByDefaultAndEchoesWhenEnabled() throws {
        let off = try GatewayHarness()
        defer { off.gateway.shutdown() }
        #expect(
            status(
                of: try TestWebSocketClient.rawExchange(
                    port: off.port, Array(TestWebSocketClient.upgradeRequest(path: "/echo").utf8))) == 404)
        let on = try GatewayHarness { $0.echoPath = "/echo" }
        defer { on.gateway.shutdown() }
        let client = try TestWebSocketClient(port: on.port, path: "/echo")
        try client.send(.text, Array("直播".utf8), fin: false)
        try client.send(.continuation, Array("评论".utf8))
        #expect(try client.nextFrame() == .init(opcode: .text, fin: true, payload: Array("直播评论".utf8)))
        try client.send(.binary, [0, 1, 2])
        #expect(try client.nextFrame().payload == [0, 1, 2])
    }
}
