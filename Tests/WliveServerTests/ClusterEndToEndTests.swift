import Foundation
import Testing
import WliveConfig
import WliveProtocol

@testable import WliveServer

/// The suite's redis-server, when there is one.
private let testRedisURL = ProcessInfo.processInfo.environment["WLIVE_TEST_REDIS_URL"].flatMap { $0.isEmpty ? nil : $0 }

/// Three in-process gateways on the suite's real redis-server (`scripts/test` starts one and
/// names it in `WLIVE_TEST_REDIS_URL`); each test is a cluster of its own name.
@Suite(
    "Three nodes on one Redis",
    .enabled(if: testRedisURL != nil, "needs WLIVE_TEST_REDIS_URL (scripts/test sets it)"))
struct ClusterEndToEndTests {
    static func nodes(_ count: Int = 3) throws -> [GatewayHarness] {
        let name = "swift-\(UUID().uuidString.prefix(8))"
        return try (0..<count).map { _ in
            try GatewayHarness { configuration in
                configuration.cluster.redisURL = testRedisURL!
                configuration.cluster.name = name
                configuration.spam.rateLimitCount = 1_000_000
            }
        }
    }

    func subscribe(_ node: GatewayHarness, to channel: ChannelID) throws -> TestWebSocketClient {
        try node.subscriber(channel: channel)
    }

    func seqs(_ client: TestWebSocketClient, _ count: Int) throws -> [Int] {
        try (0..<count).map { _ in
            let message = try client.nextJSON(skipping: ["heartbeat", "notice"])
            return try #require(message["seq"] as? Int, "\(message)")
        }
    }

    @Test func commentsPostedOnEveryNodeReachEveryViewerOnceInSeqOrder() async throws {
        let nodes = try Self.nodes()
        defer { for node in nodes { node.gateway.shutdown() } }
        let channel = try TestAPIClient(port: nodes[0].httpPort).startLive()
        // The room was made on node 1; nodes 2 and 3 learn of it from the bus.
        #expect(
            GatewayHarness.eventually {
                nodes.allSatisfy { $0.gateway.channels.lookup(channel) != nil }
            })
        let viewers = try nodes.flatMap { node in try (0..<2).map { _ in try subscribe(node, to: channel) } }
        for index in 0..<60 {
            let node = nodes[index % 3]
            let comment = try await node.gateway.publish(
                .init(channelID: channel, userID: "u\(index)", source: 2, biz: "wchat", content: "c\(index)")
            ).get()
            #expect(comment.seq > 0)
        }
        for viewer in viewers { #expect(try seqs(viewer, 60) == Array(1...60)) }
        // Watchers joined on different nodes count once each, on every node.
        for (index, node) in nodes.enumerated() {
            let reply = try TestAPIClient(port: node.httpPort).call(
                "joinLive", "channel_id=\(channel)&userid=watcher\(index)")
            #expect(reply["code"] as? Int == 0, "\(reply)")
        }
        #expect(
            GatewayHarness.eventually {
                nodes.allSatisfy { node in
                    let reply = try? TestAPIClient(port: node.httpPort).call(
                        "retrieveChannel", "channel_ids=" + TestAPIClient.encode("[\"\(channel)\"]"))
                    let room = (reply?["channel"] as? [[String: Any]])?.first
                    return room?["online_num"] as? Int == 3 && room?["total_num"] as? Int == 3
                }
            })
    }

    @Test func aNodeStartedLaterLoadsTheRoomAndNumbersOnFromRedis() async throws {
        let first = try Self.nodes(1)[0]
        defer { first.gateway.shutdown() }
        let channel = try TestAPIClient(port: first.httpPort).startLive()
        for index in 0..<5 {
            _ = try await first.gateway.publish(
                .init(channelID: channel, userID: "u\(index)", source: 2, biz: "wchat", content: "c\(index)")
            ).get()
        }
        var late = first.gateway.configuration
        late.webSocketPort = 0
        late.httpPort = 0
        late.admin.port = 0
        let gateway = Gateway(configuration: late)
        _ = try gateway.start()
        defer { gateway.shutdown() }
        #expect(gateway.channels.lookup(channel)?.lastSeq == 5)
        let comment = try await gateway.publish(
            .init(channelID: channel, userID: "late", source: 2, biz: "wchat", content: "from the late node")
        ).get()
        #expect(comment.seq == 6)
    }
}
