import WliveProtocol

/// Long-polls waiting for a room's next comment (`syncComments`), and the pace the server sets
/// for them. Plain state, no I/O: the API holds a poll, wakes a room's polls when a comment is
/// durable there, and expires them once a second.
struct HeldPolls {
    /// Where a poller stands: polls at one place are answered from one read.
    struct Place: Hashable {
        /// The last seq the client has; it waits for anything after it.
        var since: UInt64
        /// The previous answer's ring position, when it gave one.
        var cursor: UInt64?
        var limit: Int
    }

    struct Poll {
        var place: Place
        /// Monotonic seconds after which it is answered empty.
        var deadline: Double
        var answer: (APIReply) -> Void
    }

    private var byChannel: [ChannelID: [Poll]] = [:]
    /// Polls held, over all rooms.
    private(set) var count = 0

    mutating func hold(_ poll: Poll, on channel: ChannelID) {
        byChannel[channel, default: []].append(poll)
        count += 1
    }

    /// Every poll held on `channel`, no longer held.
    mutating func take(_ channel: ChannelID) -> [Poll] {
        guard let polls = byChannel.removeValue(forKey: channel) else { return [] }
        count -= polls.count
        return polls
    }

    /// Rooms that have polls held.
    var channels: Dictionary<ChannelID, [Poll]>.Keys { byChannel.keys }

    /// The polls whose deadline passed, with their rooms, no longer held.
    mutating func expire(now: Double) -> [(ChannelID, Poll)] {
        var expired: [(ChannelID, Poll)] = []
        for (channel, polls) in byChannel where polls.contains(where: { $0.deadline <= now }) {
            let kept = polls.filter { $0.deadline > now }
            expired += polls.filter { $0.deadline <= now }.map { (channel, $0) }
            byChannel[channel] = kept.isEmpty ? nil : kept
        }
        count -= expired.count
        return expired
    }
}

/// How long a client should wait before its next poll (`pull_interval`, milliseconds): nothing
/// while few polls are held; past half of `poll.max_held`, rising in proportion up to
/// `poll.max_pull_interval`, so that clients slow down before the server must turn them away.
struct PollPacing: Equatable {
    var maxHeld: Int
    var maxPullIntervalMilliseconds: Int

    func pullInterval(held: Int) -> Int {
        let half = maxHeld / 2
        guard held > half, maxHeld > half else { return 0 }
        let share = min(1, Double(held - half) / Double(maxHeld - half))
        return Int((share * Double(maxPullIntervalMilliseconds)).rounded())
    }

    /// Whether a new poll is answered at once instead of held: the server holds `maxHeld` already.
    func isFull(held: Int) -> Bool { held >= maxHeld }
}
