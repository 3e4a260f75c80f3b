import Foundation
import Testing
import WliveConfig
import WliveProtocol

@testable import WliveServer

/// Viewers that reconnect with `since_seq` get what they missed, then the live stream: from
/// the ring, from the store, and with a `gap` where retention dropped comments.
@Suite("Resume after a reconnect")
struct ResumeEndToEndTests {
    /// A viewer resuming after `since` (in `epoch`, when given); returns its acknowledgement.
    func resume(_ harness: GatewayHarness, after since: Int, epoch: UInt64? = nil) throws -> (TestWebSocketClient, [String: Any])
    {
        let client = try TestWebSocketClient(port: harness.port)
        var fields: [String: Any] = ["since_seq": since]
        if let epoch { fields["epoch"] = String(epoch) }
        try client.sendText(GatewayHarness.handshake(replacing: fields))
        let ack = try client.nextJSON()
        #expect(ack["type"] as? String == "handshake" && ack["code"] as? Int == 0, "\(ack)")
        return (client, ack)
    }

    /// The next `count` comments' seqs (and any gap notices, as negative from-seqs).
    func seqs(_ client: TestWebSocketClient, _ count: Int) throws -> [Int] {
        try (0..<count).map { _ in
            let message = try client.nextJSON(skipping: ["heartbeat", "notice"])
            if message["type"] as? String == "gap" { return -(message["from_seq"] as! Int) }
            return message["seq"] as! Int
        }
    }

    func publish(_ harness: GatewayHarness, _ count: Int) async throws {
        for index in 0..<count { _ = try #require(await harness.publish("comment \(index)")) }
    }

    @Test func theRingReplaysWhatWasMissedThenTheLiveStreamFollowsWithNoRepeat() async throws {
        let harness = try GatewayHarness()
        defer { harness.gateway.shutdown() }
        let watching = try harness.subscriber()
        try await publish(harness, 20)
        #expect(try seqs(watching, 20) == Array(1...20))
        let (client, ack) = try resume(harness, after: 10)
        let epoch = try #require(harness.gateway.channels.lookup(GatewayHarness.channel)?.epoch)
        #expect(ack["resumed"] as? Bool == true && ack["replayed"] as? Int == 10 && ack["last_seq"] as? Int == 20)
        #expect(ack["epoch"] as? UInt64 == epoch && ack["status"] as? String == "NORMAL" && ack["live_status"] as? Int == 101)
        try await publish(harness, 2)
        #expect(try seqs(client, 12) == Array(11...22))
        // A viewer that missed nothing gets nothing replayed.
        let (current, upToDate) = try resume(harness, after: 22, epoch: epoch)
        #expect(upToDate["resumed"] as? Bool == true && upToDate["replayed"] as? Int == 0)
        try await publish(harness, 1)
        #expect(try seqs(current, 1) == [23])
    }

    @Test func pastTheRingTheStoreReplaysInPagesThenTheRing() async throws {
        // A 16-entry ring: comment 6 is long gone from it, but not from the store.
        let harness = try GatewayHarness { $0.ringCapacity = 16 }
        defer { harness.gateway.shutdown() }
        try await publish(harness, 1_500)
        let (client, ack) = try resume(harness, after: 5)
        #expect(ack["resumed"] as? Bool == true && ack["replayed"] as? Int == 1_495)
        try await publish(harness, 3)
        #expect(try seqs(client, 1_498) == Array(6...1_503))
    }

    @Test func whatRetentionDroppedIsOneExactGap() async throws {
        let harness = try GatewayHarness {
            $0.ringCapacity = 16
            $0.store.retention.maxPerChannel = 50
        }
        defer { harness.gateway.shutdown() }
        try await publish(harness, 100)
        let (client, ack) = try resume(harness, after: 10)
        #expect(ack["replayed"] as? Int == 50)
        let gap = try client.nextJSON(skipping: ["heartbeat", "notice"])
        #expect(gap["type"] as? String == "gap" && gap["reason"] as? String == "retention")
        #expect(gap["from_seq"] as? Int == 11 && gap["to_seq"] as? Int == 50 && gap["missed"] as? Int == 40)
        #expect(try seqs(client, 50) == Array(51...100))
    }

    @Test func anotherEpochIsNotAResume() async throws {
        let harness = try GatewayHarness()
        defer { harness.gateway.shutdown() }
        try await publish(harness, 5)
        let epoch = try #require(harness.gateway.channels.lookup(GatewayHarness.channel)?.epoch)
        let (client, ack) = try resume(harness, after: 3, epoch: epoch &+ 1)
        // Its seqs belong to another life of the room: it gets this life's history from the start.
        #expect(ack["resumed"] as? Bool == false && ack["replayed"] as? Int == 5 && ack["epoch"] as? UInt64 == epoch)
        #expect(try seqs(client, 5) == Array(1...5))
    }

    @Test func theMemoryStoreResumesToo() async throws {
        let harness = try GatewayHarness {
            $0.store.kind = .memory
            $0.ringCapacity = 16
        }
        defer { harness.gateway.shutdown() }
        try await publish(harness, 200)
        let (client, ack) = try resume(harness, after: 100)
        #expect(ack["replayed"] as? Int == 100)
        #expect(try seqs(client, 100) == Array(101...200))
    }
}

/// Serialized: a thousand sockets twice over, and the process's open-file limit is shared.
@Suite("A reconnect storm", .serialized)
struct ReconnectStormEndToEndTests {
    /// 1,000 viewers are reset at once while comments flow at about 500 a second, and each
    /// comes back with the last seq it saw: every viewer ends with every seq exactly once, in order.
    @Test func aThousandViewersResetAndResumingMissNothingAndSeeNothingTwice() async throws {
        let harness = try GatewayHarness(workers: 2)
        defer { harness.gateway.shutdown() }
        let viewers = 1_000
        var before: BulkSubscribers? = BulkSubscribers(try (0..<viewers).map { _ in try harness.subscriber() })
        let epoch = try #require(harness.gateway.channels.lookup(GatewayHarness.channel)?.epoch)
        let total = 1_500
        let publisher = Task.detached {
            let start = Date()
            for index in 1...total {
                _ = await harness.publish("comment \(index)")
                // About 500 a second.
                let due = start.addingTimeInterval(Double(index) / 500)
                if due > Date() { try? await Task.sleep(for: .seconds(due.timeIntervalSinceNow)) }
            }
        }
        // Watch the first third or so, then every socket resets at once.
        before!.run(timeout: 60) { bulk in bulk.received.allSatisfy { $0.count >= 500 } }
        let seen = before!.received
        for client in before!.clients { client.socket.resetOnClose() }
        // Every socket closes here, with a reset; then each viewer comes back.
        before = nil
        let resumed = try seen.map { received -> TestWebSocketClient in
            let client = try TestWebSocketClient(port: harness.port)
            try client.sendText(
                GatewayHarness.handshake(replacing: ["since_seq": received.last ?? 0, "epoch": String(epoch)]))
            return client
        }
        await publisher.value
        let after = BulkSubscribers(resumed)
        after.run(timeout: 120) { bulk in bulk.received.allSatisfy { $0.last == total } }
        var whole = 0
        for index in 0..<viewers where seen[index] + after.received[index] == Array(1...total) { whole += 1 }
        #expect(
            whole == viewers,
            "viewer 0 saw \(seen[0].count) then \(after.received[0].prefix(5))...; gaps \(after.gaps.reduce(0, +))")
        #expect(after.gaps.allSatisfy { $0 == 0 })
    }
}
