import WliveProtocol
import WliveStore

/// What one node tells the others over the bus, besides comments (which the append script
/// publishes itself). A node applies another's events; its own it applied when it made them.
public enum ClusterEvent: Sendable, Equatable, Codable {
    /// The origin's read model changed (a room's record, a watcher, a ban): the others apply it.
    case change(StoreChange)
    /// The push tier: a room opened, ended, changed state, or was moderated.
    case opened(ChannelInfo)
    case closed(ChannelID, state: ChannelState, reason: String)
    case stateChanged(ChannelID, state: ChannelState, reason: String)
    case retracted(ChannelID, comments: [RetractedComment], reason: String)
    case purged(ChannelID, userID: String, source: Int, since: Int64)
    case moderated(ChannelID, modes: RoomModes?, pin: PinChange)
    /// Likes, as a count to add: concurrent likes on two nodes both count.
    case liked(ChannelID, count: Int64)
    /// The anchor is present (a heartbeat call or its socket), for every node's room clock.
    case anchorPresent(ChannelID)
}

public struct RetractedComment: Sendable, Equatable, Codable {
    public var id: String
    public var seq: UInt64

    public init(id: String, seq: UInt64) {
        self.id = id
        self.seq = seq
    }
}

/// A pinned comment's change: `Comment??` as a value the bus can carry.
public enum PinChange: Sendable, Equatable, Codable {
    case unchanged
    case unpinned
    case pinned(Comment)

    public init(_ pinned: Comment??) {
        switch pinned {
        case .none: self = .unchanged
        case .some(.none): self = .unpinned
        case .some(.some(let comment)): self = .pinned(comment)
        }
    }

    public var asOptional: Comment?? {
        switch self {
        case .unchanged: return .none
        case .unpinned: return .some(.none)
        case .pinned(let comment): return .some(comment)
        }
    }
}
