import Foundation
import Testing
import WliveConfig
import WliveServer

@testable import WliveLoad

/// The whole tool against an embedded gateway over real sockets: exact counts, no timing.
@Suite("wlive-load in process", .serialized)
struct InProcessSmokeTests {
    static let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent()

    func gatewayConfiguration() -> GatewayConfiguration {
        var configuration = GatewayConfiguration()
        configuration.bannedWordsFile = Self.root.appendingPathComponent("config/banned-words.txt").path
        configuration.shutdownTimeout = 2
        configuration.logLevel = "error"
        return configuration
    }

    /// A one-second run posting `rate` comments a second.
    func scenario(subscribers: Int, channels: Int, rate: Double) -> Scenario {
        var scenario = Scenario()
        scenario.subscribers = subscribers
        scenario.channels = channels
        scenario.postRate = rate
        scenario.duration = 1
        scenario.drain = 10
        scenario.drainQuiet = 0.5
        return scenario
    }

    @Test func everyCommentArrivesOnceInOrderAndSpamIsRefused() async throws {
        var scenario = scenario(subscribers: 120, channels: 6, rate: 300)
        scenario.spamShare = 0.2
        let gateway = try InProcessGateway.start(gatewayConfiguration(), for: &scenario)
        defer { gateway.shutdown() }
        let report = try LoadDriver.run(scenario, gateway: gateway)

        #expect(report.connected == 120 && report.connectFailures == 0 && report.closedByServer == 0)
        #expect(report.posted >= 50, "posted \(report.posted)")  // about 300; fewer only on a very slow machine
        #expect(report.spamPosted > 0 && report.spamRefused == report.spamPosted && report.spamDelivered == 0)
        #expect(report.accepted == report.posted - report.spamPosted && report.failed == 0, "\(report.answerCodes)")
        #expect(report.refused == report.spamPosted)
        #expect(report.readersPerChannel == Array(repeating: 20, count: 6))
        #expect(report.acceptedPerChannel.reduce(0, +) == report.accepted)
        // Every accepted comment reached every subscriber of its channel, once, in order.
        #expect(report.expectedDeliveries == report.accepted * 20)
        #expect(report.delivered == report.expectedDeliveries && report.lost == 0 && report.outOfOrder == 0)
        #expect(report.latency.totalCount == UInt64(report.delivered))
        // The gateway agrees on the refusals.
        #expect((await gateway.spamRefusals()).values.reduce(0, +) == report.spamPosted)
        #expect(report.connectionsPerLoop?.reduce(0, +) ?? 0 >= 120)
        #expect(ExpectationCheck.failures(.init(), report, subscribers: 120).isEmpty)
    }

    @Test func deletionsReachEverySubscriberOfTheirRoomAndAreTimed() throws {
        var scenario = scenario(subscribers: 60, channels: 3, rate: 200)
        scenario.deleteShare = 0.25
        let gateway = try InProcessGateway.start(gatewayConfiguration(), for: &scenario)
        defer { gateway.shutdown() }
        let report = try LoadDriver.run(scenario, gateway: gateway)
        #expect(report.deletionsSent > 0 && report.deletionsAccepted == report.deletionsSent, "\(report.answerCodes)")
        // Each room has 20 viewers, and each of them read every deletion of its room.
        #expect(report.deletionsReceived == report.deletionsSent * 20)
        #expect(report.deletionLatency.totalCount == UInt64(report.deletionsReceived))
        #expect(report.lost == 0 && report.outOfOrder == 0)
    }

    @Test func resumingSubscribersAreTimedToTheirLastReplayedComment() throws {
        var scenario = scenario(subscribers: 60, channels: 3, rate: 0)
        scenario.prefill = 30
        scenario.resumeSince = 10
        scenario.duration = 0.5
        let gateway = try InProcessGateway.start(gatewayConfiguration(), for: &scenario)
        defer { gateway.shutdown() }
        let report = try LoadDriver.run(scenario, gateway: gateway)
        #expect(report.connected == 60 && report.resumed == 60)
        #expect(report.resumeLatency.totalCount == 60 && report.resumeSeconds > 0)
        #expect(report.resumeMilliseconds(99) >= report.connectMilliseconds(50))
    }

    @Test func slowReadersAreCountedApartAndTheRestGetEverything() throws {
        var scenario = scenario(subscribers: 40, channels: 2, rate: 200)
        scenario.slowReaders = 0.25
        var configuration = gatewayConfiguration()
        configuration.maxPendingBytes = 16 * 1024
        let gateway = try InProcessGateway.start(configuration, for: &scenario)
        defer { gateway.shutdown() }
        let report = try LoadDriver.run(scenario, gateway: gateway)
        #expect(report.connected == 40 && report.slowReaders == 10)
        #expect(report.readersPerChannel.reduce(0, +) == 30)
        #expect(
            report.delivered == report.expectedDeliveries && report.expectedDeliveries > 0 && report.lost == 0
                && report.outOfOrder == 0)
    }

    @Test func anUnreachableTargetIsAClearError() {
        var scenario = Scenario()
        scenario.httpURL = "http://127.0.0.1:1/live/"
        #expect(throws: SetupError.self) { try LoadDriver.run(scenario) }
    }

    @Test func subscribersThatCannotConnectAreCountedAsFailed() throws {
        var scenario = Scenario()
        scenario.target = .generic
        scenario.subURL = "ws://127.0.0.1:1/sub/{channel}"
        scenario.pubURL = "http://127.0.0.1:1/pub/{channel}"
        scenario.subscribers = 5
        scenario.channels = 1
        scenario.postRate = 0
        let report = try LoadDriver.run(scenario)
        #expect(report.connectAttempts == 5 && report.connected == 0 && report.connectFailures == 5)
        var expect = Scenario.Expectations()
        expect.allConnected = true
        #expect(ExpectationCheck.failures(expect, report, subscribers: 5).count == 1)
    }
}
