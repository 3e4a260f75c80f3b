/// The last minutes of the gateway's totals, one sample a second, for the operator page's charts
/// and its latency percentiles. Plain data, fed by the ingest loop's one-second tick.
public struct StatsHistory: Sendable {
    public struct Sample: Sendable, Equatable {
        /// Unix seconds.
        public var time: Int64
        public var commentsAccepted: Int
        public var delivered: Int
        public var connections: Int
        public var latency: LatencySnapshot

        public init(time: Int64, commentsAccepted: Int, delivered: Int, connections: Int, latency: LatencySnapshot) {
            self.time = time
            self.commentsAccepted = commentsAccepted
            self.delivered = delivered
            self.connections = connections
            self.latency = latency
        }
    }

    /// One point of the rate chart: per-second rates between two samples.
    public struct Rate: Sendable, Equatable, Codable {
        public var time: Int64
        public var comments: Double
        public var deliveries: Double
        public var connections: Int
    }

    public let capacity: Int
    public private(set) var samples: [Sample] = []

    /// - Parameter capacity: samples kept (seconds, at one a second); 300 is five minutes.
    public init(capacity: Int = 300) {
        self.capacity = max(2, capacity)
    }

    public mutating func append(_ sample: Sample) {
        if samples.count == capacity { samples.removeFirst() }
        samples.append(sample)
    }

    /// Rates between consecutive samples, oldest first.
    public var rates: [Rate] {
        zip(samples, samples.dropFirst()).map { earlier, later in
            let seconds = Double(max(1, later.time - earlier.time))
            return Rate(
                time: later.time, comments: Double(later.commentsAccepted - earlier.commentsAccepted) / seconds,
                deliveries: Double(later.delivered - earlier.delivered) / seconds, connections: later.connections)
        }
    }

    /// Latency counts over the last `seconds` (at most what is kept), ending with `now`.
    public func recentLatency(seconds: Int, now: LatencySnapshot) -> LatencySnapshot {
        guard let start = samples.suffix(seconds).first else { return now }
        return now.since(start.latency)
    }
}
