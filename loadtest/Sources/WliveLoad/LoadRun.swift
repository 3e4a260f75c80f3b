import Foundation
import Synchronization

/// One process's part of a load run, in phases the caller drives: `connect()`, `start(go:)`,
/// `waitUntilDrained()`, `finish()`. Between processes only the go time is shared.
public final class LoadRun: @unchecked Sendable {
    // @unchecked: loop-confined state is touched only through `LoadLoop.run`/`sync`.
    public let plan: RunPlan
    private let loops: [LoadLoop]
    private let sources: [String]
    private let poster: Poster?
    private let localSubscribers: Int
    private var go: UInt64 = 0
    /// This process's CPU seconds when connecting began and at go, for the load generator's own
    /// cost over the same span as the server's: from go when posting, else the whole connect
    /// phase (a connect storm's cost is all in connecting).
    private var cpuAtConnect: Double?
    private var cpuAtGo: Double?

    public init(plan: RunPlan) throws {
        self.plan = plan
        let scenario = plan.scenario
        sources = try SourceAddresses.parse(scenario.sourceAddresses)
        loops = (0..<scenario.loops).map { LoadLoop(index: $0) }
        poster = plan.posts ? try Poster(plan: plan) : nil
        localSubscribers = plan.subscriberNumbers.underestimatedCount
        for loop in loops {
            loop.tally.acceptedPerChannel = Array(repeating: 0, count: plan.channels.count)
            loop.tally.readersPerChannel = Array(repeating: 0, count: plan.channels.count)
            loop.start()
        }
    }

    /// The subscriber plans of each loop.
    private func subscriberPlans() throws -> [[SubscriberClient.Plan]] {
        let scenario = plan.scenario
        var plans = Array(repeating: [SubscriberClient.Plan](), count: loops.count)
        let bases = try scenario.subscribeEndpoints()
        for (local, number) in plan.subscriberNumbers.enumerated() {
            let base = bases[number % bases.count]
            let channelIndex = plan.channelIndex(ofSubscriber: number)
            let channel = plan.channels[channelIndex]
            plans[local % loops.count].append(
                .init(
                    endpoint: scenario.target == .wlive ? base : base.replacing(channel: channel),
                    channel: channel, channelIndex: channelIndex, source: sources[number % sources.count],
                    wliveHandshake: scenario.target == .wlive, heartbeatInterval: scenario.heartbeatInterval,
                    slow: plan.isSlowReader(number), device: number,
                    sinceSeq: scenario.resumeSince >= 0 ? scenario.resumeSince : nil, deflate: scenario.deflate))
        }
        return plans
    }

    /// Connects this process's subscribers (and publishers), paced by `connect_rate` and
    /// `connect_concurrency`, and returns once every one has subscribed or failed, or `timeout`
    /// seconds passed (the stragglers are then closed and count as failed).
    public func connect(timeout: Double = 60) throws {
        let scenario = plan.scenario
        let plans = try subscriberPlans()
        cpuAtConnect = ProcessStatistics.current().cpuSeconds
        let ratePerLoop = scenario.connectRate / Double(plan.processCount * loops.count)
        let concurrency = max(1, scenario.connectConcurrency / loops.count)
        let started = monotonicNanoseconds()
        for (loop, loopPlans) in zip(loops, plans) {
            loop.sync { loop in
                var next = 0
                let begin = monotonicNanoseconds()
                loop.onPace.append { loop in
                    guard next < loopPlans.count else { return }
                    let allowed = ratePerLoop > 0 ? Int(Double(monotonicNanoseconds() - begin) / 1e9 * ratePerLoop) + 1 : Int.max
                    while next < loopPlans.count, next < allowed,
                        next - loop.progress.settled.load(ordering: .relaxed) < concurrency
                    {
                        let subscriber = SubscriberClient(loop: loop, plan: loopPlans[next])
                        subscriber.onSettled = { loop.progress.settled.add(1, ordering: .relaxed) }
                        subscriber.start()
                        next += 1
                    }
                }
            }
        }
        if let poster {
            loops[0].sync { loop in poster.connect(on: loop, sources: self.sources) }
        }
        let deadline = Date().addingTimeInterval(
            timeout + (scenario.connectRate > 0 ? Double(scenario.subscribers) / scenario.connectRate : 0))
        while settledCount < localSubscribers || !postersReady, Date() < deadline { usleep(5_000) }
        let settledAt = monotonicNanoseconds()
        for loop in loops {
            loop.sync { loop in
                for case let subscriber as SubscriberClient in loop.clients.values where subscriber.state != .subscribed {
                    subscriber.fail("no subscription within the connect timeout")
                }
                loop.tally.connectSeconds = Double(settledAt - started) / 1e9
            }
        }
    }

    private var settledCount: Int { loops.reduce(0) { $0 + $1.progress.settled.load(ordering: .relaxed) } }
    private var postersReady: Bool {
        guard let poster else { return true }
        return loops[0].sync { _ in poster.readyPublishers } == plan.scenario.publishers
    }

    /// Marks the subscribed readers (the comments posted from now on are owed to them) and, in
    /// the posting process, starts posting at `go` (a monotonic time in nanoseconds).
    public func start(go: UInt64) {
        self.go = go
        cpuAtGo = ProcessStatistics.current().cpuSeconds
        for loop in loops {
            loop.sync { loop in
                for case let subscriber as SubscriberClient in loop.clients.values
                where subscriber.state == .subscribed && !subscriber.plan.slow && !subscriber.isClosed {
                    subscriber.countsAsReader = true
                    loop.tally.readersPerChannel[subscriber.plan.channelIndex] += 1
                }
            }
        }
        if let poster {
            loops[0].sync { loop in
                poster.schedule(go: go)
                loop.onPace.append { loop in poster.pace(loop) }
            }
        }
    }

    /// Waits until posting has ended, every post is answered, and deliveries have stopped for
    /// `drain_quiet` seconds (or `drain` seconds passed).
    public func waitUntilDrained() {
        let scenario = plan.scenario
        guard scenario.postRate > 0 else {
            // Nothing to post: hold the connections for the duration.
            usleep(UInt32(min(scenario.duration, 3600) * 1e6))
            return
        }
        guard scenario.duration > 0 else { return }
        let postingEnd = go + UInt64(scenario.duration * 1e9)
        let hardStop = postingEnd + UInt64(scenario.drain * 1e9)
        let quiet = UInt64(scenario.drainQuiet * 1e9)
        while true {
            usleep(10_000)
            let now = monotonicNanoseconds()
            if now >= hardStop { return }
            guard now >= postingEnd, postsInFlight == 0 else { continue }
            let last = max(lastDelivery, postingEnd)
            if now > last, now - last >= quiet { return }
        }
    }

    private var postsInFlight: Int { loops.reduce(0) { $0 + $1.progress.postsInFlight.load(ordering: .relaxed) } }
    private var lastDelivery: UInt64 { loops.map { $0.progress.lastDelivery.load(ordering: .relaxed) }.max() ?? 0 }

    /// What the run looks like so far, for the progress line.
    public func progress() -> ProgressSnapshot {
        var latency = LoadReport.emptyHistogram()
        for loop in loops { if let snapshot = loop.progress.latencySnapshot { latency.add(snapshot) } }
        return ProgressSnapshot(
            connected: loops.reduce(0) { $0 + $1.progress.connected.load(ordering: .relaxed) },
            posted: loops.reduce(0) { $0 + $1.progress.posted.load(ordering: .relaxed) },
            delivered: loops.reduce(0) { $0 + $1.progress.delivered.load(ordering: .relaxed) },
            p99Microseconds: latency.totalCount == 0 ? 0 : latency.valueAtPercentile(99))
    }

    /// Stops every loop and returns this process's report.
    public func finish() -> LoadReport {
        let cpuAtEnd = ProcessStatistics.current().cpuSeconds
        var report = LoadReport()
        for loop in loops {
            report.merge(
                loop.sync { loop in
                    var tally = loop.tally
                    for case let subscriber as SubscriberClient in loop.clients.values
                    where subscriber.plan.slow && subscriber.peerHasClosed {
                        tally.slowReadersClosed += 1
                    }
                    tally.lastDelivery = loop.progress.lastDelivery.load(ordering: .relaxed)
                    return tally
                })
            loop.stop()
        }
        report.scenario = plan.scenario.name
        report.target = plan.scenario.target.rawValue
        let posting = plan.scenario.postRate > 0 && plan.scenario.duration > 0
        if let begin = posting ? cpuAtGo : cpuAtConnect { report.loadGeneratorCPUSeconds = cpuAtEnd - begin }
        return report
    }
}

/// Totals so far, summed over loops (and over processes by the parent).
public struct ProgressSnapshot: Codable, Sendable, Equatable {
    public var connected: Int
    public var posted: Int
    public var delivered: Int
    public var p99Microseconds: UInt64

    public init(connected: Int = 0, posted: Int = 0, delivered: Int = 0, p99Microseconds: UInt64 = 0) {
        self.connected = connected
        self.posted = posted
        self.delivered = delivered
        self.p99Microseconds = p99Microseconds
    }

    public mutating func add(_ other: ProgressSnapshot) {
        connected += other.connected
        posted += other.posted
        delivered += other.delivered
        p99Microseconds = max(p99Microseconds, other.p99Microseconds)
    }
}
