import CoreMetrics
import Prometheus

/// The gateway's metrics in the Prometheus text format. Counters the gateway keeps itself
/// (atomics on the fan-out path, plain counts on the ingest loop) are copied into the registry
/// when scraped; what the HTTP API records through swift-metrics (`metricsFactory`) lands in the
/// same registry as it happens. Confined to the thread that scrapes (the ingest loop).
public final class PrometheusExporter {
    public let registry = PrometheusCollectorRegistry()
    /// The swift-metrics factory of this registry, with the buckets of the API's timers.
    public let metricsFactory: PrometheusMetricsFactory
    /// What each copied counter was at the last scrape, to add only the difference.
    private var exported: [String: Double] = [:]

    public init() {
        var factory = PrometheusMetricsFactory(registry: registry)
        factory.defaultDurationHistogramBuckets = [
            .microseconds(50), .microseconds(100), .microseconds(250), .microseconds(500), .milliseconds(1),
            .milliseconds(2), .milliseconds(5), .milliseconds(10), .milliseconds(25), .milliseconds(50),
            .milliseconds(100), .milliseconds(250), .seconds(1),
        ]
        metricsFactory = factory
    }

    /// Renders every metric: the snapshot's, then what swift-metrics recorded.
    public func render(_ snapshot: GatewaySnapshot) -> [UInt8] {
        update(from: snapshot)
        var buffer: [UInt8] = []
        buffer.reserveCapacity(16 * 1024)
        registry.emit(into: &buffer)
        Self.appendLatency(snapshot.latency, to: &buffer)
        return buffer
    }

    private func update(from snapshot: GatewaySnapshot) {
        for (index, worker) in snapshot.workers.enumerated() {
            let loop = [("loop", String(index))]
            gauge("wlive_connections", loop, "Open WebSocket-port connections, per worker loop.", worker.connections)
            gauge("wlive_subscribers", loop, "Sockets subscribed to a channel, per worker loop.", worker.subscribers)
            count("wlive_connections_accepted_total", loop, "Connections accepted on the WebSocket port.", worker.accepted)
            count(
                "wlive_connections_refused_total", loop, "Connections answered 503 over ws.max_connections.",
                worker.refusedConnections)
            count("wlive_accept_pauses_total", loop, "Times accepting paused for want of file descriptors.", worker.acceptPauses)
            count(
                "wlive_deliveries_total", loop, "Messages written to subscribers, one per message per subscriber.",
                worker.delivered)
            count("wlive_write_calls_total", loop, "Write system calls to WebSocket sockets.", worker.writeCalls)
            count("wlive_coalesced_writes_total", loop, "Writes that carried more than one frame.", worker.coalescedWrites)
            count(
                "wlive_written_bytes_total", loop,
                "Bytes written to WebSocket-port sockets: frames, handshake answers, refusals.", worker.bytesWritten)
            count(
                "wlive_deflated_messages_total", loop,
                "Messages compressed for permessage-deflate: one per broadcast, not per viewer.",
                worker.deflatedMessages)
            count(
                "wlive_slow_consumer_actions_total", loop, "Slow readers closed (disconnect) or skipped (skip).",
                worker.slowConsumerActions)
        }
        let workers = snapshot.workers
        for reason in ["overrun", "slow"] {
            count(
                "wlive_gaps_total", [("reason", reason)], "Gap notices sent, by reason.",
                workers.reduce(0) { $0 + ($1.gaps[reason] ?? 0) })
        }
        let handshakeCodes = Set(workers.flatMap(\.handshakes.keys)).sorted()
        for code in handshakeCodes {
            count(
                "wlive_handshakes_total", [("code", String(code))], "Wlive handshakes answered, by result code.",
                workers.reduce(0) { $0 + ($1.handshakes[code] ?? 0) })
        }
        for code in Set(workers.flatMap(\.closes.keys)).sorted() {
            count(
                "wlive_closes_total", [("code", String(code))],
                "WebSocket connections closed, by close code (the peer's when it closed first; 1005: its close had no code; 1006: no close frame).",
                workers.reduce(0) { $0 + ($1.closes[code] ?? 0) })
        }
        gauge("wlive_api_connections", [], "Open connections on the HTTP API and admin ports.", snapshot.apiConnections)
        gauge("wlive_channels", [("status", "live")], "Channels known, by status.", snapshot.liveChannels)
        gauge("wlive_channels", [("status", "closed")], "Channels known, by status.", snapshot.closedChannels)
        gauge("wlive_ring_messages", [], "Messages held in channel rings.", snapshot.ringMessages)
        gauge("wlive_ring_capacity_messages", [], "Messages the allocated channel rings can hold.", snapshot.ringCapacity)
        count("wlive_comments_accepted_total", [], "Comments published (answered with code 0).", snapshot.commentsAccepted)
        for (rule, refused) in snapshot.spamRefusals.sorted(by: { $0.key < $1.key }) {
            count("wlive_spam_refusals_total", [("rule", rule)], "Comments refused with code 303, by spam rule.", refused)
        }
        gauge("wlive_ready", [], "1 while the gateway takes traffic (/readyz answers 200).", snapshot.isReady ? 1 : 0)
        let process = snapshot.process
        count("process_cpu_seconds_total", [], "User and system CPU time spent, in seconds.", process.cpuSeconds)
        gauge("process_resident_memory_bytes", [], "Resident memory size, in bytes.", process.residentBytes)
        gauge("process_open_fds", [], "Open file descriptors.", process.openFileDescriptors)
        gauge("process_max_fds", [], "The open-file limit.", process.maxFileDescriptors)
        gauge(
            "process_start_time_seconds", [], "Start time of the process, in seconds since the Unix epoch.",
            process.startTimeSeconds)
    }

    private func gauge(_ name: String, _ labels: [(String, String)], _ help: String, _ value: some BinaryInteger) {
        gauge(name, labels, help, Double(value))
    }

    private func gauge(_ name: String, _ labels: [(String, String)], _ help: String, _ value: Double) {
        registry.makeGauge(name: name, labels: labels, help: help).set(value)
    }

    /// Moves a registry counter to `value`, a total the gateway keeps (whole counts stay integers).
    private func count(_ name: String, _ labels: [(String, String)], _ help: String, _ value: some BinaryInteger) {
        let (counter, previous) = counter(name, labels, help, Double(value))
        if Double(value) < previous {
            counter.reset()
            counter.increment(by: Int64(value))
        } else {
            counter.increment(by: Int64(value) - Int64(previous))
        }
    }

    /// Moves a registry counter to `value`, a fractional total (CPU seconds).
    private func count(_ name: String, _ labels: [(String, String)], _ help: String, _ value: Double) {
        let (counter, previous) = counter(name, labels, help, value)
        if value < previous {
            counter.reset()
            counter.increment(by: value)
        } else if value > previous {
            counter.increment(by: value - previous)
        }
    }

    /// The registry's counter and the total it was last moved to; records `value` as the new one.
    private func counter(_ name: String, _ labels: [(String, String)], _ help: String, _ value: Double) -> (
        Prometheus.Counter, Double
    ) {
        let key = name + labels.map { "\u{0}\($0.0)=\($0.1)" }.joined()
        defer { exported[key] = value }
        return (registry.makeCounter(name: name, labels: labels, help: help), exported[key] ?? 0)
    }

    /// The latency histogram, written here because its counts live in atomics on the fan-out
    /// path (swift-prometheus's histograms take a lock per observation).
    static func appendLatency(_ latency: LatencySnapshot, to buffer: inout [UInt8]) {
        let name = "wlive_publish_to_write_seconds"
        var text = "# HELP \(name) From a message's publication to its write to a subscriber's socket.\n"
        text += "# TYPE \(name) histogram\n"
        var cumulative = 0
        for (index, bound) in LatencyHistogram.boundsNanoseconds.enumerated() {
            cumulative += latency.counts[index]
            text += "\(name)_bucket{le=\"\(Double(bound) / 1e9)\"} \(cumulative)\n"
        }
        cumulative += latency.counts.last ?? 0
        text += "\(name)_bucket{le=\"+Inf\"} \(cumulative)\n"
        text += "\(name)_sum \(Double(latency.sumNanoseconds) / 1e9)\n"
        text += "\(name)_count \(cumulative)\n"
        buffer += Array(text.utf8)
    }
}
