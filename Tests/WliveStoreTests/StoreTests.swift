import Foundation
import Testing
import WliveProtocol
import WliveStore

@testable import WliveSQLite

private let room = ChannelID(rawValue: 969_806_108_841_504_768)

private func comment(_ seq: UInt64, channel: ChannelID = room, time: Int64 = 1_000) -> WliveProtocol.Comment {
    WliveProtocol.Comment(
        id: "\(channel)-\(seq)", seq: seq, channelID: channel, userID: "u\(seq)", source: 2, biz: "wchat",
        extJSON: "{\"nick\":\"小明\"}", content: "第\(seq)条", commentType: "text", time: time)
}

private func channel(_ id: ChannelID = room, epoch: UInt64 = 77) -> ChannelInfo {
    ChannelInfo(
        id: id, title: "标题", describe: "描述", coverURL: "https://c", extJSON: "{}", ownerUserID: "123",
        ownerBiz: "wchat", ownerSource: 2, createTime: 1_795_770_812_000, epoch: epoch)
}

/// A fresh folder for one test's store file.
private func scratchPath(_ name: String = "wlive.sqlite") -> String {
    let folder = FileManager.default.temporaryDirectory.appendingPathComponent("wlive-store-\(UUID().uuidString)")
    return folder.appendingPathComponent("data").appendingPathComponent(name).path
}

private func sqlite(_ path: String, _ configure: (inout StoreSettings) -> Void = { _ in }) throws -> SQLiteStore {
    var settings = StoreSettings(kind: .sqlite, path: path)
    configure(&settings)
    return try SQLiteStore(settings: settings)
}

/// The same checks for every durable store: history order, paging, retention by count and age.
private func checkHistory(_ store: any DurableStore) throws {
    try store.apply([.channel(channel())] + (1...30).map { .comment(comment($0, time: $0 <= 10 ? 1_000 : 9_000)) })
    var page = try store.comments(of: room, after: 0, limit: 100)
    // history.max_per_channel is 25 in these tests: 1...5 are gone.
    #expect(page.comments.map(\.seq) == Array(6...30))
    #expect(page.oldestRetained == 6)
    #expect(page.lastSeq == 30)
    #expect(!page.hasMore)
    #expect(page.comments.first == comment(6, time: 1_000))
    page = try store.comments(of: room, after: 12, limit: 5)
    #expect(page.comments.map(\.seq) == Array(13...17))
    #expect(page.hasMore)
    // history.max_age is 5 s: at 12 s, comments from 1 s are due to go.
    try store.maintain(now: 12_000)
    page = try store.comments(of: room, after: 0, limit: 100)
    #expect(page.comments.map(\.seq) == Array(11...30))
    #expect(page.oldestRetained == 11)
    #expect(try store.comments(of: ChannelID(rawValue: 5), after: 0, limit: 10).comments.isEmpty)
}

@Suite struct DurableStoreTests {
    let retention = RetentionPolicy(maxPerChannel: 25, maxAge: 5)

    @Test func memoryHistoryKeepsOrderAndRetention() throws {
        try checkHistory(MemoryHistoryStore(retention: retention))
    }

    @Test func sqliteHistoryKeepsOrderAndRetention() throws {
        try checkHistory(try sqlite(scratchPath()) { $0.retention = retention })
    }

    @Test func sqliteKeepsRoomsWatchersAndNumberingAcrossReopening() throws {
        let path = scratchPath()
        do {
            let store = try sqlite(path) { $0.retention.maxPerChannel = 3 }
            var info = channel()
            let viewer = Watcher(source: 2, userID: "v1", biz: "wchat", extJSON: "{\"a\":1}", viewTime: 5)
            let gone = Watcher(source: 20, userID: "v2", biz: "", extJSON: "", viewTime: 6)
            info.onlineCount = 1
            info.totalCount = 2
            let ended = ChannelID(rawValue: 42)
            var finished = channel(ended, epoch: 9)
            try store.apply([
                .channel(info), .watcher(room, viewer, online: true), .watcher(room, gone, online: true),
                .watcher(room, gone, online: false), .channel(finished),
                .watcher(ended, viewer, online: true),
            ])
            finished.state = .ended
            finished.reason = "stopped by owner"
            finished.releaseTime = 7
            try store.apply([.watchersCleared(ended), .channel(finished)] + (1...5).map { .comment(comment($0)) })
        }
        let reopened = try sqlite(path)
        let rooms = try reopened.load()
        #expect(rooms.count == 2)
        let live = try #require(rooms.first { $0.info.id == room })
        #expect(live.info.title == "标题" && live.info.epoch == 77 && live.info.onlineCount == 1 && live.info.totalCount == 2)
        #expect(live.lastSeq == 5)
        #expect(Set(live.watchers.map(\.watcher.userID)) == ["v1", "v2"])
        #expect(live.watchers.first { $0.watcher.userID == "v1" }?.online == true)
        #expect(live.watchers.first { $0.watcher.userID == "v2" }?.online == false)
        let over = try #require(rooms.first { $0.info.id == ChannelID(rawValue: 42) })
        #expect(over.info.state == .ended && over.info.reason == "stopped by owner" && over.watchers.isEmpty)
        // Only the newest 3 were kept, but numbering remembers 5.
        #expect(try reopened.comments(of: room, after: 0, limit: 10).comments.map(\.seq) == [3, 4, 5])
    }

    @Test func theLifeCycleAndLikesOutliveReopeningAndABatchKeepsTheLastRecord() throws {
        let path = scratchPath()
        var info = channel()
        do {
            let store = try sqlite(path)
            var changes: [StoreChange] = [.channel(info)]
            for like in 1...50 {
                info.totalLikes = Int64(like)
                changes.append(.channel(info))
            }
            info.state = .abnormal
            info.stateSince = 1_795_770_900_000
            info.planStartTime = 1_795_770_000_000
            info.planEndTime = 1_795_780_000_000
            changes.append(.channel(info))
            try store.apply(changes)
        }
        let rooms = try sqlite(path).load()
        #expect(rooms.map(\.info) == [info])
    }

    @Test func retractionsPurgesAndBansOutliveReopeningAndNeverShowTheText() throws {
        let path = scratchPath()
        var info = channel()
        info.modes = RoomModes(slowMode: 30, anchorOnly: true)
        info.isPrivate = true
        info.pinned = comment(2)
        do {
            let store = try sqlite(path)
            try store.apply([.channel(info)] + (1...6).map { .comment(comment($0, time: Int64($0) * 1000)) })
            try store.apply([
                .retraction(room, seqs: [2]), .purge(room, userID: "u5", source: 2, since: 0),
                .ban(UserBan(channel: room, source: 2, userID: "u5", until: 10_000)),
                .ban(UserBan(channel: nil, source: 20, userID: "spammer", until: 20_000)),
                .ban(UserBan(channel: nil, source: 20, userID: "forgiven", until: 20_000)),
                .ban(UserBan(channel: nil, source: 20, userID: "forgiven", until: 0)),
            ])
        }
        let reopened = try sqlite(path)
        #expect(try reopened.load().map(\.info) == [info])
        let page = try reopened.comments(of: room, after: 0, limit: 10)
        #expect(page.comments.map(\.seq) == [1, 3, 4, 6] && page.retracted == [2, 5])
        #expect(page.firstSeq == 1 && page.throughSeq == 6 && !page.hasMore)
        let tail = try reopened.comments(of: room, after: 4, limit: 1)
        #expect(tail.comments.isEmpty && tail.retracted == [5] && tail.hasMore)
        #expect(Set(try reopened.loadBans(now: 5_000).map(\.userID)) == ["u5", "spammer"])
        #expect(try reopened.loadBans(now: 15_000).map(\.userID) == ["spammer"])
    }

    @Test func aStoreOfSchemaOneGainsTheLifeCycleColumnsWithTheirDefaults() throws {
        let path = scratchPath()
        try FileManager.default.createDirectory(
            atPath: (path as NSString).deletingLastPathComponent, withIntermediateDirectories: true)
        do {
            let old = try SQLiteDatabase(path: path)
            try old.execute(SQLiteSchema.migrations[0])
            try old.execute(
                """
                INSERT INTO channels VALUES (7, 't', 'd', 'c', '', '123', 'wchat', 2, 1000, 0, 0, '', 101, 0, 0, 5, 0);
                PRAGMA user_version = 1
                """)
        }
        let rooms = try sqlite(path).load()
        #expect(rooms.count == 1)
        #expect(rooms.first?.info.state == .live && rooms.first?.info.totalLikes == 0 && rooms.first?.info.planEndTime == 0)
    }

    @Test func numberingOutlivesCommentsTheAgeSweepDropped() throws {
        let path = scratchPath()
        do {
            let store = try sqlite(path) { $0.retention.maxAge = 5 }
            try store.apply([.channel(channel())] + (1...7).map { .comment(comment($0, time: 1_000)) })
            // Every comment is older than 5 s at 60 s: all of them go.
            try store.maintain(now: 60_000)
            #expect(try store.comments(of: room, after: 0, limit: 10).comments.isEmpty)
        }
        let reopened = try sqlite(path)
        #expect(try reopened.load().first?.lastSeq == 7)
        #expect(try reopened.comments(of: room, after: 0, limit: 10).lastSeq == 7)
    }

    @Test func aRepeatedSeqFailsTheWholeBatch() throws {
        let store = try sqlite(scratchPath())
        try store.apply([.channel(channel()), .comment(comment(1))])
        #expect(throws: StoreError.self) { try store.apply([.comment(comment(2)), .comment(comment(1))]) }
        // Nothing of the failed batch was kept.
        #expect(try store.comments(of: room, after: 0, limit: 10).comments.map(\.seq) == [1])
    }

    @Test func aFileThatIsNotAStoreIsRefusedNamingIt() throws {
        let path = scratchPath()
        try FileManager.default.createDirectory(
            atPath: (path as NSString).deletingLastPathComponent, withIntermediateDirectories: true)
        try Data(repeating: 0x5A, count: 8192).write(to: URL(fileURLWithPath: path))
        let error = try #require(throws: StoreError.self) { _ = try sqlite(path) }
        #expect(error.description.contains(path))
        // The file is left as it was: nothing is overwritten.
        #expect(try Data(contentsOf: URL(fileURLWithPath: path)) == Data(repeating: 0x5A, count: 8192))
    }

    @Test func aFullStoreRefusesWrites() throws {
        let store = try sqlite(scratchPath()) { $0.maxBytes = 64 * 1024 }
        try store.apply([.channel(channel())])
        let big = String(repeating: "长", count: 2000)
        var failed = false
        for seq in 1...100 where !failed {
            var next = comment(UInt64(seq))
            next.content = big
            do { try store.apply([.comment(next)]) } catch { failed = true }
        }
        #expect(failed)
    }
}

@Suite struct ReadModelTests {
    @Test func everyChangeIsReportedAndRestoreGivesItBack() throws {
        let model = InMemoryLiveStore()
        var changes: [StoreChange] = []
        model.onChange = { changes.append($0) }
        model.insert(channel())
        let viewer = Watcher(source: 2, userID: "v1", biz: "wchat", extJSON: "", viewTime: 5)
        _ = model.join(room, viewer)
        _ = model.join(room, Watcher(source: 2, userID: "v2", biz: "wchat", extJSON: "", viewTime: 6))
        _ = model.leave(room, source: 2, userID: "v2")
        #expect(changes.count == 7)
        #expect(changes[1] == .watcher(room, viewer, online: true))
        // Replaying the changes into a store and restoring gives the same room back.
        let store = MemoryHistoryStore()
        store.apply(changes)
        let info = try #require(model.channel(room))
        let restored = InMemoryLiveStore()
        restored.restore([
            StoredChannel(
                info: info, lastSeq: 0,
                watchers: [
                    StoredWatcher(viewer, online: true),
                    StoredWatcher(Watcher(source: 2, userID: "v2", biz: "wchat", extJSON: "", viewTime: 6), online: false),
                ])
        ])
        #expect(restored.channel(room) == info)
        #expect(restored.watchers(of: room, after: nil, count: 10, ascending: true) == [viewer])
    }
}
