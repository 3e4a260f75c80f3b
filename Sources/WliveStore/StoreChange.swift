import WliveProtocol

/// One change to what the gateway keeps: the API's read model reports these, and a durable
/// store writes them, a batch per transaction, in the order they happened.
public enum StoreChange: Sendable, Equatable, Codable {
    /// A room's record, new or changed (state, times, counts).
    case channel(ChannelInfo)
    /// A watcher's record in a room; `online` is false once it left.
    case watcher(ChannelID, Watcher, online: Bool)
    /// The room ended: its watchers are forgotten; its record stays.
    case watchersCleared(ChannelID)
    /// An accepted comment, numbered.
    case comment(Comment)
    /// Comments taken back by a moderator (`deleteComment`): their text is gone from history,
    /// and a reader is told their seqs were retracted, never shown them again.
    case retraction(ChannelID, seqs: [UInt64])
    /// Every comment of one user in a room since `since` (Unix ms) taken back (`banUser`'s
    /// `purge_minutes`).
    case purge(ChannelID, userID: String, source: Int, since: Int64)
    /// A user banned from commenting, or let back in (`until` in the past).
    case ban(UserBan)
}

/// A user kept from commenting (`banUser`), in one room or (`channel` nil) everywhere.
public struct UserBan: Sendable, Equatable, Hashable, Codable {
    public var channel: ChannelID?
    public var source: Int
    public var userID: String
    /// Unix milliseconds the ban ends at.
    public var until: Int64

    public init(channel: ChannelID?, source: Int, userID: String, until: Int64) {
        self.channel = channel
        self.source = source
        self.userID = userID
        self.until = until
    }
}

/// A room as a durable store gives it back at start.
public struct StoredChannel: Sendable, Equatable {
    public var info: ChannelInfo
    /// The `seq` of its newest comment (0 before the first), retained or not: numbering goes on from here.
    public var lastSeq: UInt64
    /// Everyone who watched it (while it is not over), and whether they watch now.
    public var watchers: [StoredWatcher]

    public init(info: ChannelInfo, lastSeq: UInt64, watchers: [StoredWatcher] = []) {
        self.info = info
        self.lastSeq = lastSeq
        self.watchers = watchers
    }
}

public struct StoredWatcher: Sendable, Equatable {
    public var watcher: Watcher
    public var online: Bool

    public init(_ watcher: Watcher, online: Bool) {
        self.watcher = watcher
        self.online = online
    }
}

/// Retained comments of one room after some `seq`, oldest first.
public struct CommentPage: Sendable, Equatable {
    public var comments: [Comment]
    /// The oldest comment still retained (nil: none is); a reader that asked for older ones
    /// missed `from...oldestRetained - 1`.
    public var oldestRetained: UInt64?
    /// The room's newest `seq`, retained or not (0 before the first comment).
    public var lastSeq: UInt64

    /// The seqs in the page's range that a moderator retracted, ascending: not in `comments`.
    public var retracted: [UInt64]

    public init(comments: [Comment], oldestRetained: UInt64?, lastSeq: UInt64, retracted: [UInt64] = []) {
        self.comments = comments
        self.oldestRetained = oldestRetained
        self.lastSeq = lastSeq
        self.retracted = retracted
    }

    /// The newest seq the page covers, a comment or a retracted one (nil: it covers none).
    public var throughSeq: UInt64? {
        switch (comments.last?.seq, retracted.last) {
        case (let shown?, let gone?): return max(shown, gone)
        case (let shown, let gone): return shown ?? gone
        }
    }

    /// The oldest seq the page covers, a comment or a retracted one.
    public var firstSeq: UInt64? {
        switch (comments.first?.seq, retracted.first) {
        case (let shown?, let gone?): return min(shown, gone)
        case (let shown, let gone): return shown ?? gone
        }
    }

    /// Whether comments newer than this page's exist.
    public var hasMore: Bool { (throughSeq ?? lastSeq) < lastSeq }
}

/// How long comments are kept (`history.max_per_channel`, `history.max_age`).
public struct RetentionPolicy: Sendable, Equatable {
    /// The newest this many comments of each room are kept.
    public var maxPerChannel: Int
    /// Seconds a comment is kept; 0: no age limit.
    public var maxAge: Double

    public init(maxPerChannel: Int = 10_000, maxAge: Double = 86_400) {
        self.maxPerChannel = maxPerChannel
        self.maxAge = maxAge
    }

    /// Comments older than this (Unix milliseconds) are due to go; nil: none is, by age.
    public func ageCutoff(now: Int64) -> Int64? {
        maxAge > 0 ? now - Int64(maxAge * 1000) : nil
    }
}
