/// Holds a report up against a scenario's `expect:` block.
public enum ExpectationCheck {
    /// One line per expectation the report does not meet; empty when all hold.
    public static func failures(_ expect: Scenario.Expectations, _ report: LoadReport, subscribers: Int) -> [String] {
        var failures: [String] = []
        if expect.allConnected == true, report.connected < subscribers {
            failures.append("all_connected: \(report.connected) of \(subscribers) subscribed (\(report.connectFailures) failed)")
        }
        if let maxLoss = expect.maxLoss, report.lost > maxLoss {
            failures.append("max_loss \(maxLoss): \(report.lost) of \(report.expectedDeliveries) comments not delivered")
        }
        if expect.inOrder == true, report.outOfOrder > 0 {
            failures.append("in_order: \(report.outOfOrder) comments duplicated or out of order")
        }
        if expect.spamRefused == true {
            if report.spamRefused != report.spamPosted {
                failures.append("spam_refused: \(report.spamRefused) of \(report.spamPosted) spam probes refused with 303")
            }
            if report.spamDelivered > 0 { failures.append("spam_refused: \(report.spamDelivered) spam probes delivered") }
            if report.accepted != report.posted - report.spamPosted {
                failures.append(
                    "spam_refused: \(report.accepted) of \(report.posted - report.spamPosted) ordinary comments accepted")
            }
        }
        if let limit = expect.maxP99Milliseconds, report.latencyMilliseconds(99) > limit {
            failures.append("max_p99_ms \(limit): p99 was \(report.latencyMilliseconds(99)) ms")
        }
        if let floor = expect.minDeliveredPerSecond, report.deliveredPerSecond < floor {
            failures.append("min_delivered_per_second \(floor): \(Int(report.deliveredPerSecond)) delivered per second")
        }
        return failures
    }
}
