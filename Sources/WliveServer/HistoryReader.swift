import WliveEngine
import WliveProtocol
import WliveStore

/// Pages of history for resuming viewers, on the ingest loop: one store read for every viewer
/// that asks for the same page at once, each comment encoded once for all of them, and recent
/// pages kept while they are still whole (a reconnect storm asks for the same few pages
/// thousands of times).
final class HistoryReader {
    /// A page as viewers receive it: shared messages whose frames are built at most once.
    struct Page: Sendable {
        /// The comments, with a `gap` (`retracted`) in place of each run a moderator took back.
        var messages: [ChannelMessage]
        /// The oldest seq the page covers, shown or retracted.
        var firstSeq: UInt64?
        var oldestRetained: UInt64?
        var lastSeq: UInt64
    }

    private struct Key: Hashable {
        var channel: ChannelID
        var after: UInt64
    }

    let journal: any StoreJournal
    let channels: ChannelDirectory
    /// Whether a moderator took a comment back: a page read before its tombstone was committed
    /// must not show it.
    let isRetracted: (Comment) -> Bool
    private var waiting: [Key: [(Result<Page, StoreError>) -> Void]] = [:]
    private var kept: [Key: Page] = [:]
    private var keptOrder: [Key] = []
    /// Comments per page, and pages kept.
    static let pageSize = 1000
    static let pagesKept = 256

    init(journal: any StoreJournal, channels: ChannelDirectory, isRetracted: @escaping (Comment) -> Bool = { _ in false }) {
        self.journal = journal
        self.channels = channels
        self.isRetracted = isRetracted
    }

    /// The retained comments of `channel` after `seq`, a page at most; `completion` runs on
    /// the ingest loop.
    func read(_ channel: ChannelID, after seq: UInt64, completion: @escaping (Result<Page, StoreError>) -> Void) {
        let key = Key(channel: channel, after: seq)
        if let page = kept[key], isCurrent(page, of: channel) { return completion(.success(page)) }
        if waiting[key] != nil {
            waiting[key]!.append(completion)
            return
        }
        waiting[key] = [completion]
        journal.comments(of: channel, after: seq, limit: Self.pageSize) { [self] result in
            let page = result.map { found in
                Page(
                    messages: messages(of: found, channel: channel), firstSeq: found.firstSeq,
                    oldestRetained: found.oldestRetained, lastSeq: found.lastSeq)
            }
            if case .success(let page) = page { keep(page, as: key) }
            for waiter in waiting.removeValue(forKey: key) ?? [] { waiter(page) }
        }
    }

    /// A moderator took comments back: pages of the room read before are stale.
    func forget(_ channel: ChannelID) {
        guard kept.keys.contains(where: { $0.channel == channel }) else { return }
        keptOrder.removeAll { $0.channel == channel }
        kept = kept.filter { $0.key.channel != channel }
    }

    /// The page's comments in seq order, the retracted ones as `retracted` gaps.
    private func messages(of page: CommentPage, channel: ChannelID) -> [ChannelMessage] {
        var comments = page.comments.map { comment in
            let message = ChannelMessage(.comment, seq: comment.seq, message: .comment(comment))
            if isRetracted(comment) { message.retract() }
            return message
        }
        guard !page.retracted.isEmpty || comments.contains(where: \.isRetracted) else { return comments }
        // Retracted seqs stand in as retracted entries, which the ring replay's rule turns into gaps.
        for seq in page.retracted {
            let placeholder = ChannelMessage(.comment, seq: seq, message: .error(code: .success, message: ""))
            placeholder.retract()
            comments.append(placeholder)
        }
        comments.sort { $0.seq < $1.seq }
        return ChannelMessage.withoutRetracted(comments, of: channel, now: wallClockMilliseconds())
    }

    /// A whole page never changes (retention may drop from it, which a resumer need not know
    /// twice); a short one holds until the room has a newer comment.
    private func isCurrent(_ page: Page, of channel: ChannelID) -> Bool {
        page.messages.count == Self.pageSize || channels.lookup(channel)?.lastSeq == page.lastSeq
    }

    private func keep(_ page: Page, as key: Key) {
        if kept.updateValue(page, forKey: key) == nil { keptOrder.append(key) }
        if keptOrder.count > Self.pagesKept { kept[keptOrder.removeFirst()] = nil }
    }
}
