import Histogram

/// What one process saw, and after `merge`, what the whole run saw. Codable: child processes
/// send theirs to the parent as JSON.
public struct LoadReport: Codable, Sendable {
    public var scenario = ""
    public var target = ""
    public var processes = 1

    // Connections.
    public var connectAttempts = 0
    public var connected = 0
    public var connectFailures = 0
    /// Subscribed connections the server closed (or reset) before the run ended.
    public var closedByServer = 0
    public var slowReaders = 0
    /// Slow readers whose connection the server had closed by the end (they do not read, so
    /// this comes from the socket's TCP state, not from a close frame).
    public var slowReadersClosed = 0
    /// Connect plus upgrade plus Wlive handshake, in microseconds.
    public var connectLatency = LoadReport.emptyHistogram()
    /// Seconds from the first connect to the last subscription.
    public var connectSeconds = 0.0
    /// Resuming subscribers (`resume_since`) that received their whole replay; the time from
    /// connecting to the last replayed comment, in microseconds; and the monotonic times of the
    /// first connect and the last replay completed.
    public var resumed = 0
    public var resumeLatency = LoadReport.emptyHistogram()
    public var resumeStart: UInt64 = 0
    public var resumeEnd: UInt64 = 0

    // Posting.
    public var posted = 0
    public var accepted = 0
    /// Answered with 303 (content rejected).
    public var refused = 0
    /// Answered with anything else, or not answered.
    public var failed = 0
    public var spamPosted = 0
    public var spamRefused = 0
    /// Posting answers by result code, for the failures.
    public var answerCodes: [String: Int] = [:]
    /// Accepted comments per channel, indexed as the run's channel list.
    public var acceptedPerChannel: [Int] = []

    // Receiving.
    /// Comments received in order, once each, by subscribers that kept reading.
    public var delivered = 0
    /// Bytes subscribers read after their upgrade (every frame: comments, heartbeats, notices),
    /// and how many of them negotiated permessage-deflate.
    public var subscriberWireBytes = 0
    public var deflateSubscribers = 0
    public var outOfOrder = 0
    public var spamDelivered = 0
    /// `gap` notices and the comments they said were missed.
    public var gapNotices = 0
    public var gapMissed = 0
    /// Subscribers that kept reading until the end, per channel.
    public var readersPerChannel: [Int] = []
    /// End-to-end latency, post written to comment read, in microseconds.
    public var latency = LoadReport.emptyHistogram()
    /// Deletions (`delete_share`): sent, answered 0, and `comment_deleted` messages read, with
    /// their latency from the deleteComment call written to the message read, in microseconds.
    public var deletionsSent = 0
    public var deletionsAccepted = 0
    public var deletionsReceived = 0
    public var deletionLatency = LoadReport.emptyHistogram()
    /// Likes (`like_rate`): sent, answered 0, likes notices read, and the highest total read.
    public var likesSent = 0
    public var likesAccepted = 0
    public var likeNotices = 0
    public var highestLikeTotal = 0

    // Time, on the system-wide monotonic clock in nanoseconds, so processes can be merged.
    public var postingStart: UInt64 = 0
    public var postingEnd: UInt64 = 0
    public var lastDelivery: UInt64 = 0

    // The server, when its pids are known (or it runs in this process).
    public var serverCPUSeconds: Double?
    public var serverPeakRSSBytes: Int?
    /// True when the CPU figure covers the load generator too (an in-process gateway).
    public var serverCPUIncludesLoadGenerator = false
    /// An in-process gateway's write system calls and ring drains from go to the end.
    public var gatewayWriteCalls: Int?
    public var gatewayDrains: Int?
    /// An in-process gateway's slow-consumer actions (disconnects or skips) and gap notices.
    public var gatewaySlowConsumerActions: Int?
    /// CPU seconds the load generator's own processes used from go to the end.
    public var loadGeneratorCPUSeconds = 0.0
    /// Connections per gateway loop (an in-process gateway only).
    public var connectionsPerLoop: [Int]?

    public init() {}

    /// An empty latency histogram: microseconds up to one minute, three significant digits.
    public static func emptyHistogram() -> Histogram<UInt64> {
        Histogram<UInt64>(highestTrackableValue: 60_000_000, numberOfSignificantValueDigits: .three)
    }

    /// Comments that should have reached a reading subscriber: accepted × readers, per channel.
    public var expectedDeliveries: Int {
        zip(acceptedPerChannel, readersPerChannel).reduce(0) { $0 + $1.0 * $1.1 }
    }

    /// Expected but not delivered in order.
    public var lost: Int { max(0, expectedDeliveries - delivered) }

    /// Seconds from the first post to the last delivery (or the end of posting, if later).
    public var deliverySeconds: Double {
        guard postingStart > 0 else { return 0 }
        let end = max(postingEnd, lastDelivery)
        return end > postingStart ? Double(end - postingStart) / 1e9 : 0
    }

    public var deliveredPerSecond: Double { deliverySeconds > 0 ? Double(delivered) / deliverySeconds : 0 }

    public var postedPerSecond: Double {
        postingEnd > postingStart ? Double(posted) / (Double(postingEnd - postingStart) / 1e9) : 0
    }

    /// Bytes on the wire per delivered comment (heartbeats and notices included).
    public var wireBytesPerDelivered: Double? { delivered > 0 ? Double(subscriberWireBytes) / Double(delivered) : nil }

    /// Delivered comments per second of server CPU.
    public var deliveredPerCPUSecond: Double? {
        guard let serverCPUSeconds, serverCPUSeconds > 0 else { return nil }
        return Double(delivered) / serverCPUSeconds
    }

    /// Latency percentile in milliseconds.
    public func latencyMilliseconds(_ percentile: Double) -> Double { Self.milliseconds(latency, percentile) }

    /// Deletion latency percentile in milliseconds.
    public func deletionMilliseconds(_ percentile: Double) -> Double { Self.milliseconds(deletionLatency, percentile) }

    /// Connect-to-replayed percentile in milliseconds, for resuming subscribers.
    public func resumeMilliseconds(_ percentile: Double) -> Double { Self.milliseconds(resumeLatency, percentile) }

    /// Seconds from the first resuming connect to the last replay completed.
    public var resumeSeconds: Double { resumeEnd > resumeStart ? Double(resumeEnd - resumeStart) / 1e9 : 0 }

    /// Connect-plus-handshake percentile in milliseconds.
    public func connectMilliseconds(_ percentile: Double) -> Double { Self.milliseconds(connectLatency, percentile) }

    private static func milliseconds(_ histogram: Histogram<UInt64>, _ percentile: Double) -> Double {
        histogram.totalCount == 0 ? 0 : Double(histogram.valueAtPercentile(percentile)) / 1000
    }

    /// Folds another process's report into this one.
    public mutating func merge(_ other: LoadReport) {
        if scenario.isEmpty {
            scenario = other.scenario
            target = other.target
        }
        connectAttempts += other.connectAttempts
        connected += other.connected
        connectFailures += other.connectFailures
        closedByServer += other.closedByServer
        slowReaders += other.slowReaders
        slowReadersClosed += other.slowReadersClosed
        connectLatency.add(other.connectLatency)
        connectSeconds = max(connectSeconds, other.connectSeconds)
        resumed += other.resumed
        resumeLatency.add(other.resumeLatency)
        if other.resumeStart > 0 { resumeStart = resumeStart == 0 ? other.resumeStart : min(resumeStart, other.resumeStart) }
        resumeEnd = max(resumeEnd, other.resumeEnd)
        posted += other.posted
        accepted += other.accepted
        refused += other.refused
        failed += other.failed
        spamPosted += other.spamPosted
        spamRefused += other.spamRefused
        answerCodes.merge(other.answerCodes, uniquingKeysWith: +)
        acceptedPerChannel = Self.sum(acceptedPerChannel, other.acceptedPerChannel)
        delivered += other.delivered
        outOfOrder += other.outOfOrder
        spamDelivered += other.spamDelivered
        deletionsSent += other.deletionsSent
        deletionsAccepted += other.deletionsAccepted
        deletionsReceived += other.deletionsReceived
        deletionLatency.add(other.deletionLatency)
        likesSent += other.likesSent
        likesAccepted += other.likesAccepted
        likeNotices += other.likeNotices
        highestLikeTotal = max(highestLikeTotal, other.highestLikeTotal)
        subscriberWireBytes += other.subscriberWireBytes
        deflateSubscribers += other.deflateSubscribers
        gapNotices += other.gapNotices
        gapMissed += other.gapMissed
        readersPerChannel = Self.sum(readersPerChannel, other.readersPerChannel)
        latency.add(other.latency)
        if other.postingStart > 0 {
            postingStart = postingStart == 0 ? other.postingStart : min(postingStart, other.postingStart)
        }
        postingEnd = max(postingEnd, other.postingEnd)
        lastDelivery = max(lastDelivery, other.lastDelivery)
        if let cpu = other.serverCPUSeconds { serverCPUSeconds = cpu }
        if let rss = other.serverPeakRSSBytes { serverPeakRSSBytes = rss }
        serverCPUIncludesLoadGenerator = serverCPUIncludesLoadGenerator || other.serverCPUIncludesLoadGenerator
        if let loops = other.connectionsPerLoop { connectionsPerLoop = loops }
        loadGeneratorCPUSeconds += other.loadGeneratorCPUSeconds
        if let writes = other.gatewayWriteCalls { gatewayWriteCalls = writes }
        if let drains = other.gatewayDrains { gatewayDrains = drains }
        if let actions = other.gatewaySlowConsumerActions { gatewaySlowConsumerActions = actions }
    }

    private static func sum(_ left: [Int], _ right: [Int]) -> [Int] {
        (0..<max(left.count, right.count)).map { (($0 < left.count) ? left[$0] : 0) + (($0 < right.count) ? right[$0] : 0) }
    }
}
