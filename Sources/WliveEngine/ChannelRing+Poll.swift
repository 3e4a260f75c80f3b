import WliveProtocol

/// What a long-poll reads of a room's ring.
public enum RingPollRead: Sendable {
    /// The entries after the poller's place, oldest first (maybe none; a retracted comment as a
    /// `gap`), the cursor its next poll gives, the seq it then has, and whether more wait.
    case entries([ChannelMessage], cursor: UInt64, nextSeq: UInt64, hasMore: Bool)
    /// The ring no longer reaches back to the poller's place (or never held it, since a
    /// restart): its comments come from history.
    case notInRing
}

extension ChannelRing where Element == ChannelMessage {
    /// The long-poll's read, on the producer's thread (which owns reclamation, so `peek` is
    /// safe there): everything after the poller's place, comments and notices in order, as the
    /// ring's own entries, so every encoding is the one the sockets share.
    ///
    /// The place is `cursor`, the position the poller's previous answer ended at, when it is
    /// still in the ring and the entry before it carries `since` (so it is this ring's, not one
    /// from before a restart); otherwise the first entry after comment `since`.
    ///
    /// - Parameter lastSeq: the room's newest comment, for a ring that holds nothing yet.
    public func pollRead(cursor: UInt64?, since: UInt64, lastSeq: UInt64, limit: Int, channel: ChannelID, now: Int64)
        -> RingPollRead
    {
        let end = publishedCount
        let oldest = oldestReadable
        var start: UInt64
        if let cursor, cursor <= end, cursor > oldest, peek(cursor - 1)?.seq == since {
            start = cursor
        } else {
            guard let first = peek(oldest) else {
                return since >= lastSeq ? .entries([], cursor: end, nextSeq: since, hasMore: false) : .notInRing
            }
            // Comments up to `base` came before the ring's oldest entry.
            let base = first.kind == .comment ? first.seq - 1 : first.seq
            guard since >= base else { return .notInRing }
            start = firstPosition(after: since, from: oldest, to: end)
        }
        var taken: [ChannelMessage] = []
        while start < end, taken.count < limit, let entry = peek(start) {
            taken.append(entry)
            start += 1
        }
        let nextSeq = max(since, taken.last?.seq ?? since)
        return .entries(
            ChannelMessage.withoutRetracted(taken, of: channel, now: now), cursor: start, nextSeq: nextSeq, hasMore: start < end)
    }

    /// The first position in `low..<high` whose entry's seq is above `seq`, by bisection: seqs
    /// never fall along the ring.
    private func firstPosition(after seq: UInt64, from low: UInt64, to high: UInt64) -> UInt64 {
        var low = low
        var high = high
        while low < high {
            let middle = low + (high - low) / 2
            guard let entry = peek(middle) else { return high }
            if entry.seq <= seq { low = middle + 1 } else { high = middle }
        }
        return low
    }
}
