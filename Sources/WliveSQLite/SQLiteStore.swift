import Foundation
import WliveProtocol
import WliveStore

/// `store.kind: sqlite`, the default: rooms, watchers and comments in one SQLite file (WAL
/// journal), through the system's libsqlite3. Blocking I/O: the gateway runs it on a thread of
/// its own, never on an event loop.
public final class SQLiteStore: DurableStore {
    public let settings: StoreSettings
    private let database: SQLiteDatabase
    private let putChannel: SQLiteStatement
    private let putWatcher: SQLiteStatement
    private let clearWatchers: SQLiteStatement
    private let putComment: SQLiteStatement
    private let keepLastSeqs: SQLiteStatement
    private let trimComments: SQLiteStatement
    private let retractComment: SQLiteStatement
    private let putBan: SQLiteStatement
    private let purgeComments: SQLiteStatement
    private let selectComments: SQLiteStatement
    private let selectOldest: SQLiteStatement
    private let selectLastSeq: SQLiteStatement
    private let pruneComments: SQLiteStatement
    private let checkpointer: SQLiteCheckpointer

    /// Opens (creating it and its folder if need be) and migrates the file. Throws one clear
    /// error naming the file when it cannot be read, is not a Wlive store, or is corrupt.
    public init(settings: StoreSettings) throws(StoreError) {
        self.settings = settings
        let folder = (settings.path as NSString).deletingLastPathComponent
        if !folder.isEmpty {
            do {
                try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
            } catch {
                throw StoreError("cannot create the store's folder \(folder): \(error.localizedDescription)")
            }
        }
        database = try SQLiteDatabase(path: settings.path)
        // Checkpoints never run inside a commit (see `SQLiteCheckpointer`); a log that grew
        // under a burst is cut back to 64 MiB when it starts over.
        try database.execute(
            """
            PRAGMA journal_mode = WAL; PRAGMA synchronous = \(settings.synchronous.rawValue);
            PRAGMA wal_autocheckpoint = 0; PRAGMA journal_size_limit = 67108864
            """)
        if settings.maxBytes > 0 {
            let pageSize = try database.integer("PRAGMA page_size")
            try database.execute("PRAGMA max_page_count = \(max(1, Int64(settings.maxBytes) / pageSize))")
        }
        try SQLiteSchema.migrate(database)
        putChannel = try database.prepare(
            """
            INSERT INTO channels (channel_id, title, describe, cover_url, ext_json, owner_userid, owner_biz,
                owner_source, create_time, release_time, live_time, reason, state, online_count, total_count, epoch,
                state_since, plan_start_time, plan_end_time, total_likes, slow_mode, anchor_only, is_private, pinned_json)
            VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15, ?16, ?17, ?18, ?19, ?20,
                ?21, ?22, ?23, ?24)
            ON CONFLICT (channel_id) DO UPDATE SET title = ?2, describe = ?3, cover_url = ?4, ext_json = ?5,
                owner_userid = ?6, owner_biz = ?7, owner_source = ?8, create_time = ?9, release_time = ?10,
                live_time = ?11, reason = ?12, state = ?13, online_count = ?14, total_count = ?15, epoch = ?16,
                state_since = ?17, plan_start_time = ?18, plan_end_time = ?19, total_likes = ?20,
                slow_mode = ?21, anchor_only = ?22, is_private = ?23, pinned_json = ?24
            """)
        putWatcher = try database.prepare(
            """
            INSERT INTO watchers (channel_id, source, userid, biz, ext_json, view_time, online)
            VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)
            ON CONFLICT (channel_id, source, userid) DO UPDATE SET biz = ?4, ext_json = ?5, view_time = ?6, online = ?7
            """)
        clearWatchers = try database.prepare("DELETE FROM watchers WHERE channel_id = ?1")
        putComment = try database.prepare(
            """
            INSERT INTO comments (channel_id, seq, id, userid, source, biz, ext_json, content, comment_type, time)
            VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10)
            """)
        // A room's newest seq is its newest comment's; `channels.last_seq` keeps it only for
        // rooms whose comments the age sweep is about to drop, so a commit writes no room row.
        keepLastSeqs = try database.prepare(
            """
            UPDATE channels SET last_seq = max(last_seq,
                (SELECT ifnull(max(seq), 0) FROM comments WHERE comments.channel_id = channels.channel_id))
            """)
        trimComments = try database.prepare("DELETE FROM comments WHERE channel_id = ?1 AND seq <= ?2")
        retractComment = try database.prepare(
            "UPDATE comments SET retracted = 1, content = '', ext_json = '' WHERE channel_id = ?1 AND seq = ?2")
        putBan = try database.prepare(
            """
            INSERT INTO bans (channel_id, source, userid, until) VALUES (?1, ?2, ?3, ?4)
            ON CONFLICT (channel_id, source, userid) DO UPDATE SET until = ?4
            """)
        purgeComments = try database.prepare(
            """
            UPDATE comments SET retracted = 1, content = '', ext_json = ''
            WHERE channel_id = ?1 AND userid = ?2 AND source = ?3 AND time >= ?4
            """)
        selectComments = try database.prepare(
            """
            SELECT seq, id, userid, source, biz, ext_json, content, comment_type, time, retracted FROM comments
            WHERE channel_id = ?1 AND seq > ?2 ORDER BY seq LIMIT ?3
            """)
        selectOldest = try database.prepare("SELECT min(seq) FROM comments WHERE channel_id = ?1")
        selectLastSeq = try database.prepare(
            """
            SELECT max(ifnull((SELECT last_seq FROM channels WHERE channel_id = ?1), 0),
                ifnull((SELECT max(seq) FROM comments WHERE channel_id = ?1), 0))
            """)
        pruneComments = try database.prepare("DELETE FROM comments WHERE time < ?1")
        checkpointer = try SQLiteCheckpointer(path: settings.path)
        checkpointer.start()
    }

    deinit { checkpointer.stop() }

    public func load() throws(StoreError) -> [StoredChannel] {
        var channels: [ChannelID: StoredChannel] = [:]
        let rooms = try database.prepare(
            """
            SELECT channel_id, title, describe, cover_url, ext_json, owner_userid, owner_biz, owner_source,
                create_time, release_time, live_time, reason, state, online_count, total_count, epoch,
                max(last_seq, ifnull((SELECT max(seq) FROM comments WHERE comments.channel_id = channels.channel_id), 0)),
                state_since, plan_start_time, plan_end_time, total_likes, slow_mode, anchor_only, is_private, pinned_json
            FROM channels
            """)
        try rooms.bind()
        while try rooms.step() {
            let id = ChannelID(rawValue: UInt64(bitPattern: rooms.int64(0)))
            var info = ChannelInfo(
                id: id, title: rooms.text(1), describe: rooms.text(2), coverURL: rooms.text(3), extJSON: rooms.text(4),
                ownerUserID: rooms.text(5), ownerBiz: rooms.text(6), ownerSource: Int(rooms.int64(7)),
                createTime: rooms.int64(8), epoch: UInt64(bitPattern: rooms.int64(15)))
            info.releaseTime = rooms.int64(9)
            info.liveTime = rooms.int64(10)
            info.reason = rooms.text(11)
            guard let state = ChannelState(rawValue: Int(rooms.int64(12))) else {
                throw StoreError("the store \(settings.path) holds channel \(id) in an unknown state \(rooms.int64(12))")
            }
            info.state = state
            info.onlineCount = Int(rooms.int64(13))
            info.totalCount = Int(rooms.int64(14))
            info.stateSince = rooms.int64(17)
            info.planStartTime = rooms.int64(18)
            info.planEndTime = rooms.int64(19)
            info.totalLikes = rooms.int64(20)
            info.modes = RoomModes(slowMode: Int(rooms.int64(21)), anchorOnly: rooms.int64(22) != 0)
            info.isPrivate = rooms.int64(23) != 0
            info.pinned = Comment(messageJSON: Array(rooms.text(24).utf8))
            channels[id] = StoredChannel(info: info, lastSeq: UInt64(bitPattern: rooms.int64(16)))
        }
        let watchers = try database.prepare(
            "SELECT channel_id, source, userid, biz, ext_json, view_time, online FROM watchers")
        try watchers.bind()
        while try watchers.step() {
            let id = ChannelID(rawValue: UInt64(bitPattern: watchers.int64(0)))
            let watcher = Watcher(
                source: Int(watchers.int64(1)), userID: watchers.text(2), biz: watchers.text(3),
                extJSON: watchers.text(4), viewTime: watchers.int64(5))
            channels[id]?.watchers.append(StoredWatcher(watcher, online: watchers.int64(6) != 0))
        }
        return channels.values.sorted { $0.info.id < $1.info.id }
    }

    public func loadBans(now: Int64) throws(StoreError) -> [UserBan] {
        let rows = try database.prepare("SELECT channel_id, source, userid, until FROM bans WHERE until > ?1")
        try rows.bind(.integer(now))
        var bans: [UserBan] = []
        while try rows.step() {
            let room = UInt64(bitPattern: rows.int64(0))
            bans.append(
                UserBan(
                    channel: room == 0 ? nil : ChannelID(rawValue: room), source: Int(rows.int64(1)), userID: rows.text(2),
                    until: rows.int64(3)))
        }
        return bans
    }

    public func apply(_ changes: [StoreChange]) throws(StoreError) {
        try database.transaction { () throws(StoreError) in
            // The newest seq written per room, where trimming to `history.max_per_channel` starts.
            var newest: [ChannelID: UInt64] = [:]
            // A room's record is whole in each change: only its last one in the batch is written
            // (a burst of likes or joins makes one row write, not one per call).
            var lastRecord: [ChannelID: Int] = [:]
            for (index, change) in changes.enumerated() {
                if case .channel(let info) = change { lastRecord[info.id] = index }
            }
            for (index, change) in changes.enumerated() {
                switch change {
                case .channel(let info):
                    guard lastRecord[info.id] == index else { continue }
                    try putChannel.run(
                        .unsigned(info.id.rawValue), .text(info.title), .text(info.describe), .text(info.coverURL),
                        .text(info.extJSON), .text(info.ownerUserID), .text(info.ownerBiz), .integer(Int64(info.ownerSource)),
                        .integer(info.createTime), .integer(info.releaseTime), .integer(info.liveTime), .text(info.reason),
                        .integer(Int64(info.state.rawValue)), .integer(Int64(info.onlineCount)),
                        .integer(Int64(info.totalCount)), .unsigned(info.epoch), .integer(info.stateSince),
                        .integer(info.planStartTime), .integer(info.planEndTime), .integer(info.totalLikes),
                        .integer(Int64(info.modes.slowMode)), .integer(info.modes.anchorOnly ? 1 : 0),
                        .integer(info.isPrivate ? 1 : 0),
                        .text(info.pinned.map { String(decoding: ServerMessage.comment($0).encoded(), as: UTF8.self) } ?? ""))
                case .watcher(let id, let watcher, let online):
                    try putWatcher.run(
                        .unsigned(id.rawValue), .integer(Int64(watcher.source)), .text(watcher.userID), .text(watcher.biz),
                        .text(watcher.extJSON), .integer(watcher.viewTime), .integer(online ? 1 : 0))
                case .watchersCleared(let id):
                    try clearWatchers.run(.unsigned(id.rawValue))
                case .comment(let comment):
                    try putComment.run(
                        .unsigned(comment.channelID.rawValue), .unsigned(comment.seq), .text(comment.id),
                        .text(comment.userID), .integer(Int64(comment.source)), .text(comment.biz), .text(comment.extJSON),
                        .text(comment.content), .text(comment.commentType), .integer(comment.time))
                    newest[comment.channelID] = max(newest[comment.channelID] ?? 0, comment.seq)
                case .retraction(let id, let seqs):
                    for seq in seqs { try retractComment.run(.unsigned(id.rawValue), .unsigned(seq)) }
                case .purge(let id, let userID, let source, let since):
                    try purgeComments.run(.unsigned(id.rawValue), .text(userID), .integer(Int64(source)), .integer(since))
                case .ban(let ban):
                    try putBan.run(
                        .unsigned(ban.channel?.rawValue ?? 0), .integer(Int64(ban.source)), .text(ban.userID), .integer(ban.until)
                    )
                }
            }
            let keep = UInt64(max(0, settings.retention.maxPerChannel))
            for (id, seq) in newest where seq > keep {
                try trimComments.run(.unsigned(id.rawValue), .unsigned(seq - keep))
            }
        }
    }

    public func comments(of channel: ChannelID, after seq: UInt64, limit: Int) throws(StoreError) -> CommentPage {
        try selectLastSeq.bind(.unsigned(channel.rawValue))
        let lastSeq = try selectLastSeq.step() ? UInt64(bitPattern: selectLastSeq.int64(0)) : 0
        selectLastSeq.reset()
        try selectOldest.bind(.unsigned(channel.rawValue))
        let oldest: UInt64? = try selectOldest.step() && !selectOldest.isNull(0) ? UInt64(bitPattern: selectOldest.int64(0)) : nil
        selectOldest.reset()
        var comments: [Comment] = []
        var retracted: [UInt64] = []
        try selectComments.bind(.unsigned(channel.rawValue), .unsigned(seq), .integer(Int64(max(0, limit))))
        while try selectComments.step() {
            let row = selectComments
            guard row.int64(9) == 0 else {
                retracted.append(UInt64(bitPattern: row.int64(0)))
                continue
            }
            comments.append(
                Comment(
                    id: row.text(1), seq: UInt64(bitPattern: row.int64(0)), channelID: channel, userID: row.text(2),
                    source: Int(row.int64(3)), biz: row.text(4), extJSON: row.text(5), content: row.text(6),
                    commentType: row.text(7), time: row.int64(8)))
        }
        return CommentPage(comments: comments, oldestRetained: oldest, lastSeq: lastSeq, retracted: retracted)
    }

    /// Drops comments past `history.max_age`.
    public func maintain(now: Int64) throws(StoreError) {
        try database.execute("DELETE FROM bans WHERE until <= \(now)")
        guard let cutoff = settings.retention.ageCutoff(now: now) else { return }
        try database.transaction { () throws(StoreError) in
            try keepLastSeqs.run()
            try pruneComments.run(.integer(cutoff))
        }
    }

    /// Log pages past which the writer starts the log over (16 MiB of 4 KiB pages): small
    /// enough that the log never needs truncating, and that little is left to copy.
    static let restartPages: Int32 = 4096

    /// Starts the log over when it grew past `restartPages`: a checkpoint from the writer's
    /// own connection catches up with it (the checkpointer copied most of it already), and the
    /// next commit writes the log from its start. After the commit's answers left, so only a
    /// batch that arrives meanwhile waits for its fsyncs.
    public func afterCommit() {
        guard checkpointer.logPages.load(ordering: .relaxed) > Self.restartPages else { return }
        if let pages = database.checkpoint() { checkpointer.logPages.store(pages, ordering: .relaxed) }
    }
}
