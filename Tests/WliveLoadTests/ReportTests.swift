import Foundation
import Testing

@testable import WliveLoad

@Suite("Reports: merging, expectations, JSON")
struct ReportTests {
    func report(delivered: Int, accepted: [Int], readers: [Int], latencies: [UInt64], start: UInt64, end: UInt64) -> LoadReport {
        var report = LoadReport()
        report.scenario = "s"
        report.connected = readers.reduce(0, +)
        report.delivered = delivered
        report.acceptedPerChannel = accepted
        report.readersPerChannel = readers
        for value in latencies { report.latency.record(value) }
        report.postingStart = start
        report.postingEnd = end
        report.lastDelivery = end
        return report
    }

    @Test func mergeAddsCountsChannelsAndHistograms() throws {
        // Process 0 posted (accepted per channel) and has readers; process 1 only reads.
        var merged = report(
            delivered: 25, accepted: [5, 10], readers: [1, 2], latencies: [1000, 2000], start: 1_000_000_000, end: 2_000_000_000)
        merged.posted = 15
        merged.accepted = 15
        var other = report(delivered: 20, accepted: [0, 0], readers: [2, 0], latencies: [3000], start: 0, end: 3_000_000_000)
        other.answerCodes = ["code -2": 1]
        merged.merge(other)
        #expect(merged.connected == 5 && merged.delivered == 45)
        #expect(merged.readersPerChannel == [3, 2] && merged.acceptedPerChannel == [5, 10])
        #expect(merged.expectedDeliveries == 5 * 3 + 10 * 2)
        #expect(merged.lost == 0)
        #expect(merged.latency.totalCount == 3)
        #expect(merged.latencyMilliseconds(100) >= 2.99)
        #expect(merged.postingStart == 1_000_000_000 && merged.lastDelivery == 3_000_000_000)
        #expect(merged.deliverySeconds == 2 && merged.deliveredPerSecond == 22.5)
        #expect(merged.answerCodes == ["code -2": 1])

        // Through JSON, as a child sends it.
        let decoded = try JSONDecoder().decode(LoadReport.self, from: JSONEncoder().encode(merged))
        #expect(decoded.expectedDeliveries == 35 && decoded.latency.totalCount == 3 && decoded.delivered == 45)
    }

    @Test func lossAndExpectations() {
        var report = report(delivered: 9, accepted: [5], readers: [2], latencies: [60_000], start: 1, end: 1_000_000_001)
        report.posted = 6
        report.accepted = 5
        report.spamPosted = 1
        report.spamRefused = 1
        #expect(report.lost == 1)
        var expect = Scenario.Expectations()
        #expect(ExpectationCheck.failures(expect, report, subscribers: 3).isEmpty)
        expect.allConnected = true
        expect.maxLoss = 0
        expect.inOrder = true
        expect.spamRefused = true
        expect.maxP99Milliseconds = 50
        expect.minDeliveredPerSecond = 100
        let failures = ExpectationCheck.failures(expect, report, subscribers: 3)
        #expect(failures.count == 4, "\(failures)")  // connected 2 of 3, 1 lost, p99 60 ms, 9/s
        #expect(failures.contains { $0.hasPrefix("all_connected") } && failures.contains { $0.hasPrefix("max_loss") })
        #expect(
            failures.contains { $0.hasPrefix("max_p99_ms") } && failures.contains { $0.hasPrefix("min_delivered_per_second") })
        report.spamDelivered = 1
        report.outOfOrder = 2
        let more = ExpectationCheck.failures(expect, report, subscribers: 2)
        #expect(more.contains { $0.hasPrefix("in_order") } && more.contains { $0.contains("spam probes delivered") })
    }

    @Test func jsonSummaryCarriesTheFigures() throws {
        var report = report(delivered: 10, accepted: [10], readers: [1], latencies: [1500], start: 1, end: 1_000_000_001)
        report.serverCPUSeconds = 0.5
        let summary = try #require(
            try JSONSerialization.jsonObject(with: Data(ReportFormatter.json(report, failures: ["x"]).utf8)) as? [String: Any])
        #expect(summary["delivered"] as? Int == 10 && summary["lost"] as? Int == 0)
        #expect(summary["delivered_per_cpu_second"] as? Double == 20)
        #expect(summary["expectations_failed"] as? [String] == ["x"])
        #expect(ReportFormatter.table(report, Scenario()).contains("delivered per CPU-second"))
    }
}
