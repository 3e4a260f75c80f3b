import Testing
import WliveCodec

@testable import WliveAdmin

#if canImport(Glibc)
    import Glibc
#endif

@Suite struct LatencyHistogramTests {
    @Test func aWriteWhoseMessagesShareABucketCountsThemAllAndTheExactSum() {
        let histogram = LatencyHistogram()
        var recorder = LatencyRecorder()
        // Three messages published at 1000, 1010, 1020 ns, written at 1_000_000 ns.
        recorder.record(now: 1_000_000, count: 3, oldest: 1000, newest: 1020, publishedSum: 3030) {
            Issue.record("one bucket needs no per-message pass")
            return []
        }
        #expect(histogram.snapshot().count == 0)
        histogram.add(&recorder)
        #expect(recorder.isEmpty && recorder.counts.allSatisfy { $0 == 0 })
        let snapshot = histogram.snapshot()
        #expect(snapshot.count == 3)
        #expect(snapshot.counts[LatencyHistogram.bucket(999_000)] == 3)
        #expect(snapshot.sumNanoseconds == 3 * 1_000_000 - 3030)
    }

    @Test func aWriteSpanningBucketsCountsEachMessageInItsOwn() {
        let histogram = LatencyHistogram()
        var recorder = LatencyRecorder()
        recorder.record(now: 10_000_000, count: 2, oldest: 0, newest: 9_990_000, publishedSum: 9_990_000) {
            [0, 9_990_000]
        }
        histogram.add(&recorder)
        let snapshot = histogram.snapshot()
        #expect(snapshot.counts[LatencyHistogram.bucket(10_000_000)] == 1)
        #expect(snapshot.counts[LatencyHistogram.bucket(10_000)] == 1)
        #expect(snapshot.count == 2)
    }

    @Test func quantilesAreBucketUpperBounds() {
        let histogram = LatencyHistogram()
        for _ in 0..<98 { histogram.record(nanoseconds: 40_000) }
        histogram.record(nanoseconds: 3_000_000)
        histogram.record(nanoseconds: 10_000_000_000)
        let snapshot = histogram.snapshot()
        #expect(snapshot.quantile(0.5) == 50e-6)
        #expect(snapshot.quantile(0.99) == 0.005)
        #expect(snapshot.quantile(1) == .infinity)
        #expect(LatencySnapshot().quantile(0.5) == nil)
        #expect(snapshot.since(snapshot).count == 0)
    }
}

@Suite struct AdminRouteTests {
    func route(_ target: String, method: String = "GET", headers: [(name: String, value: String)] = [], token: String? = nil)
        -> Result<AdminRoute, AdminRefusal>
    {
        AdminRoute.resolve(HTTPRequest(method: method, target: target, headers: headers), token: token)
    }

    @Test func routesAndTheirRefusals() throws {
        #expect(try route("/metrics").get() == .metrics)
        #expect(try route("/healthz").get() == .healthz)
        #expect(try route("/readyz").get() == .readyz)
        #expect(try route("/admin").get() == .page)
        #expect(try route("/admin/stats?x=1").get() == .stats)
        #expect(try route("/admin/rooms/42").get() == .room("42"))
        #expect(try route("/openapi.yaml").get() == .openAPI)
        #expect(route("/admin/rooms/").status == 404)
        #expect(route("/live/startLive").status == 404)
        #expect(route("/metrics", method: "POST").status == 405)
    }

    @Test func theTokenGuardsThePageAndItsDataButNotTheScraper() throws {
        let token = "t0ken"
        #expect(route("/admin", token: token).status == 401)
        #expect(route("/admin/stats?token=nope", token: token).status == 401)
        #expect(try route("/admin/stats?token=t0ken", token: token).get() == .stats)
        #expect(try route("/admin/rooms/7", headers: [("Authorization", "Bearer t0ken")], token: token).get() == .room("7"))
        #expect(route("/admin", headers: [("Authorization", "Bearer t0ke")], token: token).status == 401)
        #expect(try route("/metrics", token: token).get() == .metrics)
        #expect(try route("/readyz", token: token).get() == .readyz)
    }
}

extension Result<AdminRoute, AdminRefusal> {
    var status: Int? {
        if case .failure(let refusal) = self { return refusal.response.status }
        return nil
    }
}

@Suite struct PrometheusExporterTests {
    @Test func countersFollowTheGatewaysTotalsAndTheLatencyHistogramIsCumulative() {
        let exporter = PrometheusExporter()
        var snapshot = GatewaySnapshot()
        var worker = GatewaySnapshot.Worker()
        worker.delivered = 7
        worker.handshakes = [0: 3, 1: 1]
        worker.closes = [1000: 2]
        snapshot.workers = [worker, worker]
        snapshot.commentsAccepted = 5
        snapshot.spamRefusals = ["contact": 2]
        snapshot.latency = LatencySnapshot(
            counts: [4, 1] + Array(repeating: 0, count: LatencyHistogram.boundsNanoseconds.count - 1), sumNanoseconds: 250_000)
        var text = String(decoding: exporter.render(snapshot), as: UTF8.self)
        #expect(text.contains("wlive_deliveries_total{loop=\"1\"} 7\n"))
        #expect(text.contains("wlive_handshakes_total{code=\"0\"} 6\n"))
        #expect(text.contains("wlive_closes_total{code=\"1000\"} 4\n"))
        #expect(text.contains("wlive_comments_accepted_total 5\n"))
        #expect(text.contains("wlive_spam_refusals_total{rule=\"contact\"} 2\n"))
        #expect(text.contains("wlive_publish_to_write_seconds_bucket{le=\"5e-05\"} 4\n"))
        #expect(text.contains("wlive_publish_to_write_seconds_bucket{le=\"0.0001\"} 5\n"))
        #expect(text.contains("wlive_publish_to_write_seconds_bucket{le=\"+Inf\"} 5\n"))
        #expect(text.contains("wlive_publish_to_write_seconds_count 5\n"))
        #expect(text.contains("# TYPE wlive_publish_to_write_seconds histogram\n"))

        // A later scrape adds only what changed.
        snapshot.commentsAccepted = 9
        text = String(decoding: exporter.render(snapshot), as: UTF8.self)
        #expect(text.contains("wlive_comments_accepted_total 9\n"))
    }
}

@Suite struct StatsTests {
    @Test func ratesComeFromConsecutiveSamplesAndTheHistoryIsBounded() {
        var history = StatsHistory(capacity: 3)
        for second in 0..<5 {
            history.append(
                .init(
                    time: Int64(100 + second), commentsAccepted: second * 10, delivered: second * 100, connections: second,
                    latency: LatencySnapshot()))
        }
        #expect(history.samples.map(\.time) == [102, 103, 104])
        #expect(history.rates.map(\.comments) == [10, 10])
        #expect(history.rates.map(\.deliveries) == [100, 100])
    }

    @Test func theStatsDocumentRanksRoomsAndUsesSnakeCase() throws {
        let rooms = (1...3).map { n in
            GatewaySnapshot.Room(
                id: "\(n)", status: "live", connections: n * 10, online: 0, total: 0, lastSeq: 0,
                commentRate: Double(4 - n), delivered: 0)
        }
        let document = StatsDocument(snapshot: GatewaySnapshot(), history: StatsHistory(), rooms: rooms, top: 2, now: 10)
        #expect(document.topByViewers.map(\.id) == ["3", "2"])
        #expect(document.topByCommentRate.map(\.id) == ["1", "2"])
        let json = String(decoding: document.encoded(), as: UTF8.self)
        #expect(json.contains("\"top_by_viewers\":[") && json.contains("\"comment_rate\":3"))
    }
}

@Suite struct ProcessStatisticsTests {
    /// Thousands of descriptors: the listing of /proc/self/fd spans several kernel buffers (reading
    /// each entry's name whole once read past one and crashed the gateway at 10,000 viewers).
    @Test func openDescriptorsCountsEveryOneOpened() {
        let opened = (0..<4000).map { _ in open("/dev/null", O_RDONLY) }.filter { $0 >= 0 }
        defer { for descriptor in opened { close(descriptor) } }
        let during = ProcessStatistics.current(startTimeSeconds: 0)
        // Other suites open and close sockets meanwhile (a difference from a count taken before
        // is not exact), but these 4,000 are open throughout.
        #expect(opened.count == 4000 && during.openFileDescriptors >= opened.count)
        #expect(during.openFileDescriptors <= during.maxFileDescriptors || during.maxFileDescriptors < 0)
        #expect(during.residentBytes > 0 && during.cpuSeconds > 0)
    }
}
