import Foundation
import Testing
import WliveConfig
import WliveProtocol
import WliveServer

/// A gateway on ephemeral loopback ports, with a channel open, for one test.
struct GatewayHarness {
    let gateway: Gateway
    let port: Int
    let httpPort: Int
    /// The admin port (metrics, health, the operator page); nil with `admin.enabled` false.
    let adminPort: Int?
    static let repositoryRoot = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent()
    static let channel = ChannelID(rawValue: 969_806_108_841_504_768)

    init(workers: Int = 1, _ configure: (inout GatewayConfiguration) -> Void = { _ in }) throws {
        var configuration = GatewayConfiguration()
        configuration.host = "127.0.0.1"
        configuration.webSocketPort = 0
        configuration.httpPort = 0
        configuration.admin.port = 0
        configuration.workers = workers
        configuration.session.heartbeat.minInterval = 1
        configuration.shutdownTimeout = 2
        configuration.bannedWordsFile = Self.repositoryRoot.appendingPathComponent("config/banned-words.txt").path
        // The default store, SQLite, in a file of this test's own.
        configuration.store.path = Self.scratchStorePath()
        configure(&configuration)
        gateway = Gateway(configuration: configuration, openChannels: [Self.channel])
        let ports = try gateway.start()
        port = ports.webSocket
        httpPort = ports.http
        adminPort = ports.admin
    }

    /// A store file path in a fresh folder (created by the gateway).
    static func scratchStorePath() -> String {
        FileManager.default.temporaryDirectory.appendingPathComponent("wlive-test-\(UUID().uuidString)/wlive.sqlite").path
    }

    /// The seed's handshake (section 1.11) as JSON, with fields replaced or removed.
    static func handshake(
        channel: ChannelID? = channel, interval: Int = 60, replacing: [String: Any] = [:], removing: Set<String> = []
    ) -> String {
        var fields: [String: Any] = [
            "user_id": "", "source": 20, "appid": "10026-cat@aSOswgfbEL8", "sdk_version": 1000, "version": "j1.0",
            "os_type": "android", "os_version": "123.45.6", "client_type": "weapp", "client_version": "1.0.0",
            "device_id": "wlive_userid_20_random", "device_type": "meizu", "im_toklen": " ", "timer_interval": interval,
        ]
        if let channel { fields["channel_id"] = channel.description }
        for (key, value) in replacing { fields[key] = value }
        for key in removing { fields.removeValue(forKey: key) }
        return String(decoding: try! JSONSerialization.data(withJSONObject: fields, options: [.sortedKeys]), as: UTF8.self)
    }

    /// A client that has completed the Wlive handshake on the test channel.
    func subscriber(interval: Int = 60, channel: ChannelID = channel, receiveBuffer: Int32? = nil) throws -> TestWebSocketClient {
        let client = try TestWebSocketClient(port: port, receiveBuffer: receiveBuffer)
        try client.sendText(Self.handshake(channel: channel, interval: interval))
        let ack = try client.nextJSON()
        guard ack["type"] as? String == "handshake", ack["code"] as? Int == 0 else {
            throw TestClientError.unexpected("handshake answered \(ack)")
        }
        return client
    }

    func publish(_ content: String, channel: ChannelID = channel) async -> WliveProtocol.Comment? {
        try? await gateway.publish(.init(channelID: channel, userID: "123", source: 2, biz: "wchat", content: content)).get()
    }

    /// Waits until `condition` holds, polling; for state that other threads update.
    static func eventually(timeout: Double = 5, _ condition: () -> Bool) -> Bool {
        let deadline = Date().addingTimeInterval(timeout)
        while Date() < deadline {
            if condition() { return true }
            usleep(10_000)
        }
        return condition()
    }
}
