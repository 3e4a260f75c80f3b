import WliveProtocol

/// What moderators took back in each open room: single comments by `seq` and purges of one
/// user's comments since a time. The producer consults it as it delivers (a comment accepted
/// before a purge but stored after it must not reach anyone) and as it builds history pages
/// (a page read before the tombstones were committed must not show them). Retractions are
/// rare, so it is kept whole while the room is open. Producer (ingest loop) only.
public struct RetractionLog: Sendable {
    private struct Purge: Sendable {
        var userID: String
        var source: Int
        var since: Int64
    }

    private struct Room: Sendable {
        var seqs: Set<UInt64> = []
        var purges: [Purge] = []
    }

    private var rooms: [ChannelID: Room] = [:]

    public init() {}

    public mutating func retract(_ channel: ChannelID, seq: UInt64) { rooms[channel, default: Room()].seqs.insert(seq) }

    public mutating func purge(_ channel: ChannelID, userID: String, source: Int, since: Int64) {
        rooms[channel, default: Room()].purges.append(Purge(userID: userID, source: source, since: since))
    }

    /// The room is over: nobody resumes it any more.
    public mutating func forget(_ channel: ChannelID) { rooms[channel] = nil }

    /// Whether a moderator took `comment` back.
    public func contains(_ comment: Comment) -> Bool {
        guard let room = rooms[comment.channelID] else { return false }
        if room.seqs.contains(comment.seq) { return true }
        return room.purges.contains { $0.userID == comment.userID && $0.source == comment.source && comment.time >= $0.since }
    }
}
