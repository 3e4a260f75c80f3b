import WliveProtocol

/// `LiveStore` in memory. Confined to one thread (the API loop). Each change it makes is
/// handed to `onChange`, for a durable store to write.
public final class InMemoryLiveStore: LiveStore {
    private struct WatcherKey: Hashable {
        var source: Int
        var userID: String
    }

    /// Watchers in page order: view time, then source, then user id.
    private struct SortKey: Comparable {
        var viewTime: Int64
        var source: Int
        var userID: String

        static func < (a: SortKey, b: SortKey) -> Bool {
            (a.viewTime, a.source, a.userID) < (b.viewTime, b.source, b.userID)
        }
    }

    private struct Room {
        var info: ChannelInfo
        /// Everyone who ever watched, with their latest record; `total_num` is its count.
        var everyone: [WatcherKey: Watcher] = [:]
        /// Who watches now, sorted for paging.
        var online: [SortKey] = []
    }

    private var rooms: [ChannelID: Room] = [:]
    /// Told every change, as it is made.
    public var onChange: ((StoreChange) -> Void)?

    public init() {}

    /// Takes the rooms a durable store kept; no change is reported for them.
    public func restore(_ channels: [StoredChannel]) {
        for stored in channels {
            var room = Room(info: stored.info)
            for kept in stored.watchers {
                room.everyone[WatcherKey(source: kept.watcher.source, userID: kept.watcher.userID)] = kept.watcher
                if kept.online { room.online.append(Self.sortKey(kept.watcher)) }
            }
            room.online.sort()
            rooms[stored.info.id] = room
        }
    }

    public func insert(_ channel: ChannelInfo) {
        rooms[channel.id] = Room(info: channel)
        onChange?(.channel(channel))
    }

    public func channel(_ id: ChannelID) -> ChannelInfo? { rooms[id]?.info }

    public func close(_ id: ChannelID, as state: ChannelState, releaseTime: Int64, reason: String) -> ChannelInfo? {
        precondition(state.isFinal, "close(_:as:) takes a final state")
        guard var room = rooms[id] else { return nil }
        room.info.state = state
        room.info.stateSince = releaseTime
        room.info.releaseTime = releaseTime
        room.info.liveTime = max(0, (releaseTime - room.info.createTime) / 1000)
        room.info.reason = reason
        // A closed room keeps its record for retrieveChannel, and nothing else: nobody watches it.
        room.info.onlineCount = 0
        room.everyone = [:]
        room.online = []
        rooms[id] = room
        onChange?(.watchersCleared(id))
        onChange?(.channel(room.info))
        return room.info
    }

    public func update(_ id: ChannelID, _ change: (inout ChannelInfo) -> Void) -> ChannelInfo? {
        guard rooms[id] != nil else { return nil }
        change(&rooms[id]!.info)
        let info = rooms[id]!.info
        onChange?(.channel(info))
        return info
    }

    public func join(_ id: ChannelID, _ watcher: Watcher) -> ChannelInfo? {
        guard var room = rooms.removeValue(forKey: id) else { return nil }
        defer { rooms[id] = room }
        let key = WatcherKey(source: watcher.source, userID: watcher.userID)
        var record = watcher
        if let known = room.everyone[key], let index = Self.index(of: Self.sortKey(known), in: room.online) {
            // Already watching: keep the first view time so paging stays put; refresh the rest.
            record.viewTime = known.viewTime
            room.online[index] = Self.sortKey(record)
        } else {
            let sortKey = Self.sortKey(record)
            room.online.insert(sortKey, at: Self.insertionPoint(of: sortKey, in: room.online))
        }
        room.everyone[key] = record
        room.info.onlineCount = room.online.count
        room.info.totalCount = room.everyone.count
        onChange?(.watcher(id, record, online: true))
        onChange?(.channel(room.info))
        return room.info
    }

    public func leave(_ id: ChannelID, source: Int, userID: String) -> ChannelInfo? {
        guard var room = rooms.removeValue(forKey: id) else { return nil }
        defer { rooms[id] = room }
        if let known = room.everyone[WatcherKey(source: source, userID: userID)],
            let index = Self.index(of: Self.sortKey(known), in: room.online)
        {
            room.online.remove(at: index)
            room.info.onlineCount = room.online.count
            onChange?(.watcher(id, known, online: false))
            onChange?(.channel(room.info))
        }
        return room.info
    }

    public func replicate(_ change: StoreChange) -> ChannelInfo? {
        let reporting = onChange
        onChange = nil
        defer { onChange = reporting }
        switch change {
        case .channel(var info):
            if let known = rooms[info.id]?.info {
                // Counts follow the watchers replicated one by one, likes the counts added.
                info.onlineCount = known.onlineCount
                info.totalCount = known.totalCount
                info.totalLikes = known.totalLikes
                rooms[info.id]!.info = info
            } else {
                rooms[info.id] = Room(info: info)
            }
            return info
        case .watcher(let id, let watcher, let online):
            return online ? join(id, watcher) : leave(id, source: watcher.source, userID: watcher.userID)
        case .watchersCleared(let id):
            guard rooms[id] != nil else { return nil }
            rooms[id]!.everyone = [:]
            rooms[id]!.online = []
            rooms[id]!.info.onlineCount = 0
            return rooms[id]!.info
        case .comment, .retraction, .purge, .ban:
            return nil
        }
    }

    public func replicateLikes(_ id: ChannelID, count: Int64) -> ChannelInfo? {
        guard rooms[id] != nil else { return nil }
        rooms[id]!.info.totalLikes += count
        return rooms[id]!.info
    }

    public func watchers(of id: ChannelID, after cursor: WatcherCursor?, count: Int, ascending: Bool) -> [Watcher] {
        guard let room = rooms[id], count > 0 else { return [] }
        let online = room.online
        var keys: ArraySlice<SortKey>
        if let cursor, let known = room.everyone[WatcherKey(source: cursor.source, userID: cursor.userID)] {
            // Resume strictly after (or before) the cursor's place, even if it has left since.
            let position = Self.sortKey(known)
            if ascending {
                let start = Self.insertionPoint(of: position, in: online)
                let from = start < online.count && online[start] == position ? start + 1 : start
                keys = online[from...].prefix(count)
            } else {
                let end = Self.insertionPoint(of: position, in: online)
                keys = online[..<end].suffix(count)
            }
        } else {
            keys = ascending ? online.prefix(count) : online.suffix(count)
        }
        let ordered = ascending ? Array(keys) : keys.reversed()
        return ordered.compactMap { room.everyone[WatcherKey(source: $0.source, userID: $0.userID)] }
    }

    private static func sortKey(_ watcher: Watcher) -> SortKey {
        SortKey(viewTime: watcher.viewTime, source: watcher.source, userID: watcher.userID)
    }

    /// The first index whose key is not less than `key`.
    private static func insertionPoint(of key: SortKey, in keys: [SortKey]) -> Int {
        var low = 0
        var high = keys.count
        while low < high {
            let middle = (low + high) / 2
            if keys[middle] < key { low = middle + 1 } else { high = middle }
        }
        return low
    }

    private static func index(of key: SortKey, in keys: [SortKey]) -> Int? {
        let index = insertionPoint(of: key, in: keys)
        return index < keys.count && keys[index] == key ? index : nil
    }
}
