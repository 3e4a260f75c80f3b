import WliveProtocol

/// A live channel as the API knows it: the fields of seed 000's `retriveChannel` table.
public struct ChannelInfo: Sendable, Equatable, Codable {
    public var id: ChannelID
    public var title: String
    public var describe: String
    public var coverURL: String
    public var extJSON: String
    public var ownerUserID: String
    public var ownerBiz: String
    public var ownerSource: Int
    /// Unix milliseconds.
    public var createTime: Int64
    /// Unix milliseconds; 0 while live.
    public var releaseTime: Int64 = 0
    /// Seconds the channel was live; 0 while live.
    public var liveTime: Int64 = 0
    public var reason: String = ""
    /// The room's state; seed 000's `status` is `state.seedStatus`.
    public var state = ChannelState.live
    /// When the room entered `state`, Unix milliseconds (the abnormal grace counts from it).
    public var stateSince: Int64 = 0
    /// The planned start and end (`startLive`'s `plan_start_time`, `plan_end_time`), Unix
    /// milliseconds; 0 when not planned. A room not started when its plan ends expires.
    public var planStartTime: Int64 = 0
    public var planEndTime: Int64 = 0
    /// Likes in all (`sendLike`), as Weibo's `total_stars`.
    public var totalLikes: Int64 = 0
    /// Moderation: slow mode and anchor-only (`setRoomMode`), the pinned comment, and whether
    /// viewers need a signed viewer token (`startLive` with `private: 1`).
    public var modes = RoomModes()
    public var pinned: Comment?
    public var isPrivate = false
    /// Watchers now (joined and not left) and distinct watchers ever.
    public var onlineCount = 0
    public var totalCount = 0
    /// Which life of the room its comment `seq`s count in: made when the room opens, kept
    /// across restarts by a durable store. A client resuming with another epoch gets a gap.
    /// At most 2^53 - 1, so JavaScript clients read it exactly.
    public var epoch: UInt64

    /// A fresh epoch: random, non-zero, exact in a JavaScript number.
    public static func newEpoch() -> UInt64 { UInt64.random(in: 1...(1 << 53 - 1)) }

    public init(
        id: ChannelID, title: String, describe: String, coverURL: String, extJSON: String,
        ownerUserID: String, ownerBiz: String, ownerSource: Int, createTime: Int64, epoch: UInt64 = ChannelInfo.newEpoch()
    ) {
        self.epoch = epoch
        self.id = id
        self.title = title
        self.describe = describe
        self.coverURL = coverURL
        self.extJSON = extJSON
        self.ownerUserID = ownerUserID
        self.ownerBiz = ownerBiz
        self.ownerSource = ownerSource
        self.createTime = createTime
        stateSince = createTime
    }
}

/// One viewer of a channel (`view_user` in seed 000).
public struct Watcher: Sendable, Equatable, Codable {
    public var source: Int
    public var userID: String
    public var biz: String
    public var extJSON: String
    /// When the viewer (last) began watching, Unix milliseconds.
    public var viewTime: Int64

    public init(source: Int, userID: String, biz: String, extJSON: String, viewTime: Int64) {
        self.source = source
        self.userID = userID
        self.biz = biz
        self.extJSON = extJSON
        self.viewTime = viewTime
    }
}

/// Where a page of watchers starts: after the watcher with this source and user id.
public struct WatcherCursor: Sendable, Equatable {
    public var source: Int
    public var userID: String

    public init(source: Int, userID: String) {
        self.source = source
        self.userID = userID
    }
}

/// Channels and watchers, as the API reads and changes them: the gateway's read model, in
/// memory. The handlers see only this protocol. Implementations are used from one thread (the
/// API loop) and need no locking of their own. Every method may throw; the API answers code 100
/// and logs the error. What lasts is the durable store's job: `InMemoryLiveStore` reports each
/// change as a `StoreChange`, and the gateway writes those off the loop.
public protocol LiveStore: AnyObject {
    func insert(_ channel: ChannelInfo) throws
    func channel(_ id: ChannelID) throws -> ChannelInfo?
    /// Ends the channel in `state` (a final one): its watchers are forgotten, its record kept.
    /// Returns the updated record (nil when unknown).
    func close(_ id: ChannelID, as state: ChannelState, releaseTime: Int64, reason: String) throws -> ChannelInfo?
    /// Changes the channel's record (state, likes, ...); returns it (nil when unknown).
    func update(_ id: ChannelID, _ change: (inout ChannelInfo) -> Void) throws -> ChannelInfo?
    /// Adds or refreshes a watcher; returns the updated channel (nil when unknown).
    func join(_ id: ChannelID, _ watcher: Watcher) throws -> ChannelInfo?
    /// Removes a watcher if present; returns the updated channel (nil when unknown).
    func leave(_ id: ChannelID, source: Int, userID: String) throws -> ChannelInfo?
    /// Up to `count` watchers watching now, by view time (then source, then user id), after `cursor`.
    func watchers(of id: ChannelID, after cursor: WatcherCursor?, count: Int, ascending: Bool) throws -> [Watcher]
    /// Applies a change another node of a cluster made, without reporting it: a room's record
    /// (keeping the watchers, counts and likes this store keeps itself), a watcher, a room's
    /// watchers cleared. Returns the room after it (nil when unknown, or not a room's change).
    func replicate(_ change: StoreChange) -> ChannelInfo?
    /// Adds likes another node took, without reporting it; the room after it.
    func replicateLikes(_ id: ChannelID, count: Int64) -> ChannelInfo?
}

extension LiveStore {
    public func replicate(_ change: StoreChange) -> ChannelInfo? { nil }
    public func replicateLikes(_ id: ChannelID, count: Int64) -> ChannelInfo? { nil }
}
