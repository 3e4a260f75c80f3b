/// One process's share of a run: the scenario, the channels (made once, before any process
/// starts), and which slice of the subscribers is this process's.
public struct RunPlan: Codable, Sendable {
    public var scenario: Scenario
    /// The channels as the target names them: Wlive channel ids, or generic names.
    public var channels: [String]
    public var processIndex: Int
    public var processCount: Int

    public init(scenario: Scenario, channels: [String], processIndex: Int = 0, processCount: Int = 1) {
        self.scenario = scenario
        self.channels = channels
        self.processIndex = processIndex
        self.processCount = processCount
    }

    /// The global subscriber numbers this process runs: every `processCount`-th one.
    public var subscriberNumbers: StrideTo<Int> { stride(from: processIndex, to: scenario.subscribers, by: processCount) }

    /// Subscribers are spread evenly over the channels; posting follows `distribution`.
    public func channelIndex(ofSubscriber number: Int) -> Int { number % channels.count }

    /// Exactly round(subscribers × slow_readers) subscribers are slow, spread evenly.
    public func isSlowReader(_ number: Int) -> Bool {
        let share = scenario.slowReaders
        return Int((Double(number + 1) * share).rounded(.down)) > Int((Double(number) * share).rounded(.down))
    }

    /// Only process 0 posts, so each channel's sequence numbers come from one place.
    public var posts: Bool { processIndex == 0 && scenario.postRate > 0 && scenario.duration > 0 }
}
