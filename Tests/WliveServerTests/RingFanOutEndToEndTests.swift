import Foundation
import Testing
import WliveProtocol

@testable import WliveServer

/// Serialized: these open thousands of sockets each, and the process's open-file limit is shared.
@Suite("Fan-out through the rings over real sockets", .serialized)
struct RingFanOutEndToEndTests {
    @Test func twoThousandConcurrentSubscribersAllReceiveAComment() async throws {
        let harness = try GatewayHarness(workers: 2)
        defer { harness.gateway.shutdown() }
        let clients = try (0..<2000).map { _ in try harness.subscriber() }
        #expect(harness.gateway.channels.lookup(GatewayHarness.channel)?.subscriberCount == 2000)
        let published = try #require(await harness.publish("hello, 2000"))
        var received = 0
        for client in clients {
            let comment = try client.nextJSON(skipping: ["heartbeat", "notice"])
            if comment["seq"] as? Int == Int(published.seq), comment["content"] as? String == "hello, 2000" { received += 1 }
        }
        #expect(received == 2000)
    }

    /// 4 loops, 4,000 subscribers over 20 channels, 10,000 comments: every subscriber receives
    /// exactly its channel's comments, in order.
    @Test func fourThousandSubscribersOnTwentyChannelsGetExactlyTheirComments() async throws {
        let harness = try GatewayHarness(workers: 4)
        defer { harness.gateway.shutdown() }
        let channels = (1...20).map { ChannelID(rawValue: UInt64(1000 + $0)) }
        for channel in channels { await harness.gateway.openChannel(channel) }
        var clients: [TestWebSocketClient] = []
        var channelOf: [Int] = []
        for index in 0..<4000 {
            clients.append(try harness.subscriber(channel: channels[index % 20]))
            channelOf.append(index % 20)
        }
        let stats = harness.gateway.loopStatistics
        #expect(stats.map(\.subscribers).reduce(0, +) == 4000)
        // SO_REUSEPORT spreads the connect storm: every loop within 10% of the mean (1,000).
        #expect(stats.allSatisfy { abs($0.accepted - 1000) <= 100 }, "accepted per loop: \(stats.map(\.accepted))")
        let readers = BulkSubscribers(clients)
        let finished = DispatchSemaphore(value: 0)
        let thread = Thread {
            readers.run(timeout: 120) { $0.received.allSatisfy { $0.count >= 500 } }
            finished.signal()
        }
        thread.start()
        for round in 0..<500 {
            for channel in channels {
                guard
                    case .success = await harness.gateway.publish(
                        .init(channelID: channel, userID: "u", source: 2, biz: "b", content: "c\(round)"))
                else {
                    Issue.record("publish refused")
                    return
                }
            }
        }
        #expect(finished.wait(timeout: .now() + 150) == .success)
        let expected = Array(1...500)
        var exact = 0
        for index in clients.indices where readers.received[index] == expected { exact += 1 }
        #expect(exact == 4000, "\(4000 - exact) subscribers saw something else")
        #expect(readers.gaps.allSatisfy { $0 == 0 })
        let delivered = harness.gateway.loopStatistics.map(\.delivered).reduce(0, +)
        #expect(delivered == 4000 * 500)
        // Every loop carries a share of the subscribers.
        #expect(harness.gateway.loopStatistics.allSatisfy { $0.subscribers > 0 })
    }

    /// 500 clients that never read and 500 that do: the readers get everything; the stalled ones
    /// are disconnected with 1013 once their queue passes the cap.
    @Test func stalledReadersAreDisconnectedWhileTheOthersKeepUp() async throws {
        let harness = try GatewayHarness(workers: 2) {
            $0.maxPendingBytes = 4096
            $0.slowConsumerPolicy = .disconnect
            $0.socketSendBuffer = 4096
            // About back-pressure, not storage: under ThreadSanitizer the store thread's work
            // slowed the reading test thread enough for readers to look slow.
            $0.store.kind = .memory
        }
        defer { harness.gateway.shutdown() }
        let stalled = try (0..<500).map { _ in try harness.subscriber(receiveBuffer: 4096) }
        // The readers' kernel buffers hold the whole run (200 comments of ~250 bytes), so a test
        // thread that falls behind (under ThreadSanitizer, say) never looks like a slow reader.
        let readers = BulkSubscribers(try (0..<500).map { _ in try harness.subscriber(receiveBuffer: 1 << 20) })
        let finished = DispatchSemaphore(value: 0)
        let comments = 200
        Thread {
            readers.run(timeout: 120) { $0.received.allSatisfy { $0.count >= comments } }
            finished.signal()
        }.start()
        let text = String(repeating: "x", count: 90)
        for _ in 0..<comments {
            _ = await harness.gateway.publish(
                .init(channelID: GatewayHarness.channel, userID: "u", source: 2, biz: "b", content: text))
            usleep(10_000)  // a pace the reading test thread keeps up with
        }
        #expect(finished.wait(timeout: .now() + 150) == .success)
        #expect(
            readers.received.allSatisfy { $0 == Array(1...comments) },
            """
            fewest received \(readers.received.map(\.count).min() ?? 0), close codes \(Set(readers.closes.map { $0 ?? 0 })),             \(harness.gateway.loopStatistics.map(\.slowConsumerActions)) slow-reader actions
            """)
        let stats = harness.gateway.loopStatistics
        #expect(stats.map(\.slowConsumerActions).reduce(0, +) >= 500)
        // The stalled clients were dropped, so the channel has the readers left.
        #expect(
            GatewayHarness.eventually(timeout: 10) {
                harness.gateway.channels.lookup(GatewayHarness.channel)?.subscriberCount == 500
            })
        // Their close frame could never drain, so once the close deadline passed the gateway
        // reset them: no orphan socket is left holding their queued bytes in the kernel.
        #expect(GatewayHarness.eventually(timeout: 20) { stalled.allSatisfy { Self.wasReset($0.socket.fd) } })
    }

    /// Whether the peer reset this socket: TCP state CLOSE (7), read without reading its data.
    static func wasReset(_ fd: Int32) -> Bool {
        var info = [UInt8](repeating: 0, count: 256)
        var length = socklen_t(info.count)
        guard getsockopt(fd, Int32(IPPROTO_TCP), TCP_INFO, &info, &length) == 0 else { return false }
        return info[0] == 7
    }

    /// With policy `skip`, a stalled reader stays connected; when it reads again it gets a gap
    /// notice saying how many messages it lost, then the stream goes on in order.
    @Test func skippedReaderGetsAGapNoticeWhenItCatchesUp() async throws {
        let harness = try GatewayHarness(workers: 1) {
            $0.maxPendingBytes = 16 * 1024
            $0.slowConsumerPolicy = .skip
            $0.socketSendBuffer = 16 * 1024
        }
        defer { harness.gateway.shutdown() }
        let slow = try harness.subscriber(receiveBuffer: 4096)
        let text = String(repeating: "x", count: 900)
        for _ in 0..<3000 {
            _ = await harness.gateway.publish(
                .init(channelID: GatewayHarness.channel, userID: "u", source: 2, biz: "b", content: text))
        }
        #expect(harness.gateway.loopStatistics.first!.slowConsumerActions > 0)
        let reader = BulkSubscribers([slow])
        reader.run(timeout: 3) { $0.received[0].last == 3000 }
        // Catching up: one more comment after the backlog drained carries the gap notice first.
        usleep(200_000)
        _ = await harness.gateway.publish(
            .init(channelID: GatewayHarness.channel, userID: "u", source: 2, biz: "b", content: "after"))
        reader.run(timeout: 30) { $0.received[0].last == 3001 }
        let seen = reader.received[0]
        #expect(seen.last == 3001)
        #expect(zip(seen, seen.dropFirst()).allSatisfy { $0 < $1 }, "in order, no duplicates")
        #expect(reader.gaps[0] > 0 && reader.gaps[0] + seen.count == 3001)
    }
}
