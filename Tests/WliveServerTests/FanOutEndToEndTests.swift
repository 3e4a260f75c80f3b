import Foundation
import Testing
import WliveProtocol

@testable import WliveServer

@Suite("Publishing over real sockets")
struct FanOutEndToEndTests {
    @Test func commentsArriveInOrderWithTheDocumentedFields() async throws {
        let harness = try GatewayHarness(workers: 2)
        defer { harness.gateway.shutdown() }
        let clients = try (0..<4).map { _ in try harness.subscriber() }
        for index in 1...100 { _ = await harness.publish("comment \(index) 直播") }
        for client in clients {
            for index in 1...100 {
                let comment = try client.nextJSON(skipping: ["heartbeat", "notice"])
                #expect(comment["type"] as? String == "comment")
                #expect(comment["seq"] as? Int == index)
                #expect(comment["content"] as? String == "comment \(index) 直播")
                #expect(comment["channel_id"] as? String == GatewayHarness.channel.description)
                for key in ["id", "userid", "source", "biz", "ext_json", "time"] { #expect(comment[key] != nil, "\(key)") }
            }
        }
    }

    /// The adaptive flush is per channel: a comment to a channel written within `max_delay`
    /// waits for its window, and meanwhile a quiet channel on the same loop goes out at once.
    @Test func aQuietChannelIsWrittenAtOnceWhileABusyOneGathers() async throws {
        // A long window, so that what follows does not hang on how fast this machine is.
        let harness = try GatewayHarness(workers: 1) { $0.maxDelay = 6 }
        defer { harness.gateway.shutdown() }
        let quiet = ChannelID(rawValue: 5678)
        await harness.gateway.openChannel(quiet)
        let busyViewer = try harness.subscriber()
        let quietViewer = try harness.subscriber(channel: quiet)
        let skip: Set<String> = ["heartbeat", "notice"]
        _ = await harness.publish("first")  // its channel was quiet: written at once
        #expect(try busyViewer.nextJSON(timeout: 3, skipping: skip)["content"] as? String == "first")
        _ = await harness.publish("second")  // within max_delay of the first: gathers
        _ = await harness.publish("hello", channel: quiet)  // another channel, quiet: at once
        #expect(try quietViewer.nextJSON(timeout: 3, skipping: skip)["content"] as? String == "hello")
        #expect(throws: (any Error).self, "the busy channel's second comment should still be gathering") {
            try busyViewer.nextJSON(timeout: 0.5, skipping: skip)
        }
        #expect(try busyViewer.nextJSON(timeout: 10, skipping: skip)["content"] as? String == "second")
    }

    @Test func otherChannelsDoNotLeak() async throws {
        let harness = try GatewayHarness()
        defer { harness.gateway.shutdown() }
        let other = ChannelID(rawValue: 1234)
        await harness.gateway.openChannel(other)
        let mine = try harness.subscriber()
        let theirs = try harness.subscriber(channel: other)
        _ = await harness.publish("for the other channel", channel: other)
        _ = await harness.publish("for mine")
        #expect(try mine.nextJSON()["content"] as? String == "for mine")
        #expect(try theirs.nextJSON()["content"] as? String == "for the other channel")
    }

    @Test func closingAChannelFlushesPendingCommentsThenClosesNormally() async throws {
        let harness = try GatewayHarness()
        defer { harness.gateway.shutdown() }
        let client = try harness.subscriber()
        for index in 1...3 { _ = await harness.publish("last words \(index)") }
        let closing = await harness.gateway.closeChannel(GatewayHarness.channel, reason: "anchor left")
        #expect(throws: Never.self) { try closing.get() }
        for index in 1...3 { #expect(try client.nextJSON()["content"] as? String == "last words \(index)") }
        let status = try client.nextJSON()
        #expect(status["notice"] as? String == "status" && status["live_status"] as? Int == 103)
        #expect(status["reason"] as? String == "anchor left")
        let closed = try client.nextJSON()
        #expect(closed["type"] as? String == "channel_closed" && closed["live_status"] as? Int == 103)
        #expect(closed["code"] as? Int == 2)
        #expect(closed["reason"] as? String == "anchor left")
        #expect(try client.nextClose() == 1000)
        #expect(await harness.publish("too late") == nil)
        let again = await harness.gateway.closeChannel(GatewayHarness.channel)
        #expect(throws: WliveResultCode.channelClosed) { try again.get() }
        let unknown = await harness.gateway.closeChannel(ChannelID(rawValue: 99))
        #expect(throws: WliveResultCode.channelNotFound) { try unknown.get() }
    }

    @Test func gracefulShutdownSends1001AndStops() async throws {
        let harness = try GatewayHarness(workers: 2)
        let clients = try (0..<10).map { _ in try harness.subscriber() }
        let done = DispatchSemaphore(value: 0)
        DispatchQueue.global().async {
            harness.gateway.shutdown()
            done.signal()
        }
        for client in clients {
            #expect(try client.nextClose() == 1001)
            try client.send(.close, [0x03, 0xE9])
        }
        #expect(done.wait(timeout: .now() + 10) == .success)
        #expect(throws: (any Error).self) { _ = try TestSocket(port: harness.port) }
        #expect(await harness.publish("after shutdown") == nil)
    }
}
