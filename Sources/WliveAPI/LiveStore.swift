import WliveProtocol

/// A live channel as the API knows it: the fields of seed 000's `retriveChannel` table.
public struct ChannelInfo: Sendable, Equatable {
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
    /// Watchers now (joined and not left) and distinct watchers ever.
    public var onlineCount = 0
    public var totalCount = 0

    public init(
        id: ChannelID, title: String, describe: String, coverURL: String, extJSON: String,
        ownerUserID: String, ownerBiz: String, ownerSource: Int, createTime: Int64
    ) {
        self.id = id
        self.title = title
        self.describe = describe
        self.coverURL = coverURL
        self.extJSON = extJSON
        self.ownerUserID = ownerUserID
        self.ownerBiz = ownerBiz
        self.ownerSource = ownerSource
        self.createTime = createTime
    }
}

/// One viewer of a channel (`view_user` in seed 000).
public struct Watcher: Sendable, Equatable {
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

/// Channels and watchers. The handlers see only this protocol, so a persistent store can
/// replace the in-memory one without touching them. Implementations are used from one thread
/// (the API loop) and need no locking of their own. Every method may throw (a persistent store
/// can fail); the API answers code 100 and logs the error.
public protocol LiveStore: AnyObject {
    func insert(_ channel: ChannelInfo) throws
    func channel(_ id: ChannelID) throws -> ChannelInfo?
    /// Marks the channel closed; returns the updated record (nil when unknown).
    func close(_ id: ChannelID, releaseTime: Int64, reason: String) throws -> ChannelInfo?
    /// Adds or refreshes a watcher; returns the updated channel (nil when unknown).
    func join(_ id: ChannelID, _ watcher: Watcher) throws -> ChannelInfo?
    /// Removes a watcher if present; returns the updated channel (nil when unknown).
    func leave(_ id: ChannelID, source: Int, userID: String) throws -> ChannelInfo?
    /// Up to `count` watchers watching now, by view time (then source, then user id), after `cursor`.
    func watchers(of id: ChannelID, after cursor: WatcherCursor?, count: Int, ascending: Bool) throws -> [Watcher]
}
