import WliveProtocol

/// `store.kind: memory`: comments are kept in memory under the retention policy, for history
/// and resume, and lost at exit. Rooms and watchers live in the read model alone, so `load`
/// finds nothing. Confined to one thread, like the read model.
public final class MemoryHistoryStore: DurableStore {
    private struct History {
        var comments: [Comment] = []
        /// Index of the oldest retained comment in `comments`; the ones before it are dropped
        /// in bulk, so trimming costs O(1) per comment.
        var head = 0
        var lastSeq: UInt64 = 0
        /// Retracted seqs still in `comments` (their entries are kept, so bisection holds).
        var retracted: Set<UInt64> = []

        var retained: ArraySlice<Comment> { comments[head...] }

        /// Marks the retained comments `matching` as retracted and drops their text.
        mutating func retract(_ matching: (Comment) -> Bool) {
            for index in head..<comments.count where matching(comments[index]) {
                retracted.insert(comments[index].seq)
                comments[index].content = ""
                comments[index].extJSON = ""
            }
        }

        mutating func drop(_ count: Int) {
            if !retracted.isEmpty { for comment in comments[head..<(head + count)] { retracted.remove(comment.seq) } }
            head += count
            if head > 1024, head * 2 > comments.count {
                comments.removeFirst(head)
                head = 0
            }
        }
    }

    public let retention: RetentionPolicy

    private var histories: [ChannelID: History] = [:]

    public init(retention: RetentionPolicy = RetentionPolicy()) { self.retention = retention }

    public func load() -> [StoredChannel] { [] }

    public func apply(_ changes: [StoreChange]) {
        for change in changes {
            switch change {
            case .comment(let comment):
                var history = histories.removeValue(forKey: comment.channelID) ?? History()
                history.comments.append(comment)
                history.lastSeq = max(history.lastSeq, comment.seq)
                let excess = history.retained.count - retention.maxPerChannel
                if excess > 0 { history.drop(excess) }
                histories[comment.channelID] = history
            case .retraction(let id, let seqs):
                histories[id]?.retract { seqs.contains($0.seq) }
            case .purge(let id, let userID, let source, let since):
                histories[id]?.retract { $0.userID == userID && $0.source == source && $0.time >= since }
            case .channel, .watcher, .watchersCleared, .ban:
                break
            }
        }
    }

    public func comments(of channel: ChannelID, after seq: UInt64, limit: Int) -> CommentPage {
        guard let history = histories[channel] else { return CommentPage(comments: [], oldestRetained: nil, lastSeq: 0) }
        let retained = history.retained
        // Seqs rise along the array, so the first one after `seq` is found by bisection.
        var low = retained.startIndex
        var high = retained.endIndex
        while low < high {
            let middle = (low + high) / 2
            if retained[middle].seq <= seq { low = middle + 1 } else { high = middle }
        }
        let page = retained[low...].prefix(max(0, limit))
        guard !history.retracted.isEmpty else {
            return CommentPage(comments: Array(page), oldestRetained: retained.first?.seq, lastSeq: history.lastSeq)
        }
        return CommentPage(
            comments: page.filter { !history.retracted.contains($0.seq) }, oldestRetained: retained.first?.seq,
            lastSeq: history.lastSeq, retracted: page.map(\.seq).filter { history.retracted.contains($0) })
    }

    public func maintain(now: Int64) {
        guard let cutoff = retention.ageCutoff(now: now) else { return }
        for id in Array(histories.keys) {
            let stale = histories[id]!.retained.prefix { $0.time < cutoff }.count
            if stale > 0 { histories[id]!.drop(stale) }
        }
    }
}
