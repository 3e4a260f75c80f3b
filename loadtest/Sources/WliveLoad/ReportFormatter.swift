import Foundation

/// The human-readable forms of a run: the progress line and the final table.
public enum ReportFormatter {
    /// One progress line: totals, and rates since the previous line.
    public static func progressLine(_ now: ProgressSnapshot, previous: ProgressSnapshot, seconds: Double) -> String {
        let posted = Double(now.posted - previous.posted) / seconds
        let delivered = Double(now.delivered - previous.delivered) / seconds
        return
            "connected \(now.connected)  posted/s \(Int(posted))  delivered/s \(Int(delivered))  p99 \(String(format: "%.1f", Double(now.p99Microseconds) / 1000)) ms"
    }

    /// The final table.
    public static func table(_ report: LoadReport, _ scenario: Scenario) -> String {
        var rows: [(String, String)] = []
        func row(_ name: String, _ value: String) { rows.append((name, value)) }
        func ms(_ value: Double) -> String { String(format: "%.2f ms", value) }
        row(
            "scenario",
            "\(report.scenario) (target \(report.target), \(report.processes) process\(report.processes == 1 ? "" : "es"))")
        row(
            "subscribers",
            "\(report.connected) of \(scenario.subscribers) subscribed, \(report.connectFailures) failed, \(report.closedByServer) closed by the server, \(report.slowReaders) slow readers (\(report.slowReadersClosed) of them closed by the server)"
        )
        row(
            "connect + handshake",
            "p50 \(ms(report.connectMilliseconds(50)))  p99 \(ms(report.connectMilliseconds(99)))  all in \(String(format: "%.2f", report.connectSeconds)) s (\(Int(Double(report.connected) / max(report.connectSeconds, 1e-9))) per second)"
        )
        if report.resumed > 0 {
            row(
                "resumed",
                "\(report.resumed) replayed whole: connect to last replayed comment p50 \(ms(report.resumeMilliseconds(50)))  p99 \(ms(report.resumeMilliseconds(99)))  all in \(String(format: "%.2f", report.resumeSeconds)) s"
            )
        }
        if report.posted > 0 {
            row(
                "posted",
                "\(report.posted) (\(Int(report.postedPerSecond))/s): \(report.accepted) accepted, \(report.refused) refused (303), \(report.failed) failed"
            )
            if report.spamPosted > 0 {
                row(
                    "spam probes", "\(report.spamPosted) posted, \(report.spamRefused) refused, \(report.spamDelivered) delivered"
                )
            }
            if report.likesSent > 0 {
                row(
                    "likes",
                    "\(report.likesSent) sent, \(report.likesAccepted) accepted, highest total read \(report.highestLikeTotal), \(report.likeNotices) likes notices read (\(String(format: "%.2f", Double(report.likeNotices) / Double(max(1, report.connected)))) per subscriber)"
                )
            }
            if report.deletionsSent > 0 {
                row(
                    "deletions",
                    "\(report.deletionsSent) sent, \(report.deletionsAccepted) accepted, \(report.deletionsReceived) comment_deleted read: p50 \(ms(report.deletionMilliseconds(50)))  p99 \(ms(report.deletionMilliseconds(99)))  (comments p99 \(ms(report.latencyMilliseconds(99))))"
                )
            }
            if !report.answerCodes.isEmpty {
                row(
                    "failures",
                    report.answerCodes.sorted { $0.key < $1.key }.map { "\($0.key): \($0.value)" }.joined(separator: ", "))
            }
            row(
                "delivered",
                "\(report.delivered) of \(report.expectedDeliveries) expected, \(report.lost) lost, \(report.outOfOrder) out of order or duplicated"
            )
            row("delivered/s", "\(Int(report.deliveredPerSecond)) over \(String(format: "%.2f", report.deliverySeconds)) s")
            row(
                "latency",
                "p50 \(ms(report.latencyMilliseconds(50)))  p90 \(ms(report.latencyMilliseconds(90)))  p99 \(ms(report.latencyMilliseconds(99)))  p99.9 \(ms(report.latencyMilliseconds(99.9)))  max \(ms(Double(report.latency.max) / 1000))"
            )
            if let perComment = report.wireBytesPerDelivered {
                let deflate =
                    report.deflateSubscribers > 0 ? "  (\(report.deflateSubscribers) subscribers with permessage-deflate)" : ""
                row("wire bytes", String(format: "%.1f per delivered comment", perComment) + deflate)
            }
            if report.gapNotices > 0 { row("gap notices", "\(report.gapNotices), \(report.gapMissed) comments missed") }
        }
        if let cpu = report.serverCPUSeconds {
            var text = String(format: "%.2f s", cpu)
            if let perSecond = report.deliveredPerCPUSecond, report.delivered > 0 {
                text += "  (\(Int(perSecond)) delivered per CPU-second)"
            }
            if report.serverCPUIncludesLoadGenerator { text += "  [in process: includes the load generator]" }
            row("server CPU", text)
        }
        if report.loadGeneratorCPUSeconds > 0, !report.serverCPUIncludesLoadGenerator {
            row("load generator CPU", String(format: "%.2f s", report.loadGeneratorCPUSeconds))
        }
        if let rss = report.serverPeakRSSBytes { row("server peak RSS", "\(rss / (1024 * 1024)) MiB") }
        if let writes = report.gatewayWriteCalls, let drains = report.gatewayDrains, report.delivered > 0 {
            if let actions = report.gatewaySlowConsumerActions, actions > 0 { row("gateway slow-consumer actions", "\(actions)") }
            row(
                "gateway writes",
                "\(writes) write calls, \(String(format: "%.3f", Double(writes) / Double(report.delivered))) per delivered comment, \(drains) ring drains"
            )
        }
        if let loops = report.connectionsPerLoop, !loops.isEmpty {
            let mean = Double(loops.reduce(0, +)) / Double(loops.count)
            let spread = loops.map { mean > 0 ? abs(Double($0) - mean) / mean * 100 : 0 }.max() ?? 0
            row(
                "connections per loop",
                "\(loops.map(String.init).joined(separator: " / ")) (max \(String(format: "%.1f", spread))% from the mean)")
        }
        let width = rows.map(\.0.count).max() ?? 0
        return rows.map { $0.0.padding(toLength: width, withPad: " ", startingAt: 0) + "  " + $0.1 }.joined(separator: "\n")
    }

    /// The machine-readable summary for `--json`.
    public static func json(_ report: LoadReport, failures: [String]) -> String {
        var summary: [String: Any] = [
            "scenario": report.scenario, "target": report.target, "processes": report.processes,
            "connect_attempts": report.connectAttempts, "connected": report.connected, "connect_failures": report.connectFailures,
            "closed_by_server": report.closedByServer, "slow_readers": report.slowReaders,
            "slow_readers_closed": report.slowReadersClosed,
            "connect_p50_ms": report.connectMilliseconds(50), "connect_p99_ms": report.connectMilliseconds(99),
            "connect_seconds": report.connectSeconds,
            "resumed": report.resumed, "resume_p50_ms": report.resumeMilliseconds(50),
            "resume_p99_ms": report.resumeMilliseconds(99), "resume_seconds": report.resumeSeconds,
            "posted": report.posted, "accepted": report.accepted, "refused": report.refused, "failed": report.failed,
            "spam_posted": report.spamPosted, "spam_refused": report.spamRefused, "spam_delivered": report.spamDelivered,
            "delivered": report.delivered, "expected": report.expectedDeliveries, "lost": report.lost,
            "out_of_order": report.outOfOrder, "gap_notices": report.gapNotices, "gap_missed": report.gapMissed,
            "delivered_per_second": report.deliveredPerSecond, "delivery_seconds": report.deliverySeconds,
            "posted_per_second": report.postedPerSecond,
            "latency_p50_ms": report.latencyMilliseconds(50), "latency_p90_ms": report.latencyMilliseconds(90),
            "latency_p99_ms": report.latencyMilliseconds(99), "latency_p999_ms": report.latencyMilliseconds(99.9),
            "latency_max_ms": Double(report.latency.max) / 1000,
            "deletions_sent": report.deletionsSent, "deletions_accepted": report.deletionsAccepted,
            "deletions_received": report.deletionsReceived, "deletion_p50_ms": report.deletionMilliseconds(50),
            "deletion_p99_ms": report.deletionMilliseconds(99),
            "likes_sent": report.likesSent, "likes_accepted": report.likesAccepted, "like_notices": report.likeNotices,
            "highest_like_total": report.highestLikeTotal,
            "expectations_failed": failures,
        ]
        if let cpu = report.serverCPUSeconds {
            summary["server_cpu_seconds"] = cpu
            summary["server_cpu_includes_load_generator"] = report.serverCPUIncludesLoadGenerator
        }
        summary["load_generator_cpu_seconds"] = report.loadGeneratorCPUSeconds
        if let perCPU = report.deliveredPerCPUSecond { summary["delivered_per_cpu_second"] = perCPU }
        if let perComment = report.wireBytesPerDelivered { summary["wire_bytes_per_delivered"] = perComment }
        summary["deflate_subscribers"] = report.deflateSubscribers
        if let rss = report.serverPeakRSSBytes { summary["server_peak_rss_bytes"] = rss }
        if let loops = report.connectionsPerLoop { summary["connections_per_loop"] = loops }
        if let writes = report.gatewayWriteCalls { summary["gateway_write_calls"] = writes }
        if let drains = report.gatewayDrains { summary["gateway_drains"] = drains }
        if !report.answerCodes.isEmpty { summary["answer_codes"] = report.answerCodes }
        let data = try! JSONSerialization.data(withJSONObject: summary, options: [.sortedKeys])
        return String(decoding: data, as: UTF8.self)
    }
}
