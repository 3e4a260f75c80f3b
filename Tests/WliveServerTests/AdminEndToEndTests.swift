import Foundation
import Testing

@testable import WliveServer

@Suite("Admin port over real sockets")
struct AdminEndToEndTests {
    /// One GET on the admin port.
    func get(_ path: String, port: Int) throws -> TestHTTPResponse {
        let socket = try TestSocket(port: port)
        try socket.write("GET \(path) HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n")
        return try socket.readResponse()
    }

    /// The sum of a metric's samples in the Prometheus text.
    func total(_ name: String, in text: String) -> Double {
        text.split(separator: "\n").filter { $0.hasPrefix(name + "{") || $0.hasPrefix(name + " ") }
            .compactMap { $0.split(separator: " ").last.flatMap { Double($0) } }.reduce(0, +)
    }

    /// Scrapes run on the ingest loop while two workers write: the counters they read are the
    /// workers' atomics (ThreadSanitizer runs this), and once everything is delivered the scrape
    /// counts every delivery and every latency observation exactly.
    @Test func scrapesWhileWorkersDeliverCountEveryDelivery() async throws {
        let harness = try GatewayHarness(workers: 2)
        defer { harness.gateway.shutdown() }
        let admin = try #require(harness.adminPort)
        let viewers = try (0..<4).map { _ in try harness.subscriber() }
        let comments = 200
        async let scrapes: [Int] = Task.detached {
            try (0..<20).map { _ in try get("/metrics", port: admin).status }
        }.value
        for n in 0..<comments { _ = await harness.publish("comment \(n)") }
        for viewer in viewers {
            let seqs = try (0..<comments).map { _ in try viewer.nextJSON(skipping: ["heartbeat", "notice"])["seq"] as? Int }
            #expect(seqs == Array(1...comments))
        }
        #expect(try await scrapes.allSatisfy { $0 == 200 })
        let expected = Double(comments * viewers.count)
        var text = ""
        #expect(
            GatewayHarness.eventually {
                text = String(decoding: (try? get("/metrics", port: admin).body) ?? [], as: UTF8.self)
                return total("wlive_publish_to_write_seconds_count", in: text) == expected
            })
        #expect(total("wlive_deliveries_total", in: text) == expected)
        #expect(total("wlive_comments_accepted_total", in: text) == Double(comments))
        #expect(total("wlive_handshakes_total", in: text) == Double(viewers.count))
        #expect(total("wlive_connections", in: text) == Double(viewers.count))
        #expect(try get("/readyz", port: admin).status == 200)
        #expect(try get("/healthz", port: admin).status == 200)
    }

    @Test func withTheAdminPortOffItDoesNotListen() throws {
        let harness = try GatewayHarness { $0.admin.enabled = false }
        defer { harness.gateway.shutdown() }
        #expect(harness.adminPort == nil)
    }
}
