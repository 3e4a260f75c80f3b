import Testing
import WliveCodec
import WliveProtocol

@testable import WliveEngine

@Suite("Long-poll reads of a room's ring")
struct RingPollTests {
    let channel = ChannelID("42")!

    /// A ring of `capacity` with the given entries: a number is that comment's seq, a nil a
    /// notice carrying the seq of the comment before it.
    func ring(_ entries: [UInt64?], capacity: Int = 16) -> ChannelRing<ChannelMessage> {
        let ring = ChannelRing<ChannelMessage>(capacity: capacity, tracker: QuiescenceTracker(consumers: 1))
        var last: UInt64 = 0
        for entry in entries {
            if let seq = entry {
                last = seq
                ring.publish(ChannelMessage(.comment, seq: seq, message: .error(code: .success, message: "c\(seq)")))
            } else {
                ring.publish(ChannelMessage(.notice, seq: last, message: .error(code: .success, message: "n\(last)")))
            }
        }
        return ring
    }

    func read(_ ring: ChannelRing<ChannelMessage>, cursor: UInt64?, since: UInt64, lastSeq: UInt64 = 0, limit: Int = 100)
        -> (seqs: [UInt64], kinds: [ChannelMessage.Kind], cursor: UInt64, next: UInt64, more: Bool)?
    {
        guard
            case .entries(let entries, let cursor, let next, let more) = ring.pollRead(
                cursor: cursor, since: since, lastSeq: lastSeq, limit: limit, channel: channel, now: 0)
        else { return nil }
        return (entries.map { $0.seq }, entries.map { $0.kind }, cursor, next, more)
    }

    @Test func aCursorKeepsNoticesFromComingTwice() throws {
        let room = ring([1, nil, 2, nil])
        // Without a cursor: from comment 2 on (the notice after comment 1 may have been seen).
        let fresh = try #require(read(room, cursor: nil, since: 1))
        #expect(fresh.seqs == [2, 2] && fresh.kinds == [.comment, .notice] && fresh.cursor == 4)
        // With the cursor of an answer that ended at comment 1: its notice, then what came next.
        let resumed = try #require(read(room, cursor: 1, since: 1))
        #expect(resumed.kinds == [.notice, .comment, .notice] && resumed.next == 2 && resumed.cursor == 4 && !resumed.more)
        // Nothing new at the end.
        let caughtUp = try #require(read(room, cursor: 4, since: 2))
        #expect(caughtUp.seqs.isEmpty && caughtUp.cursor == 4 && caughtUp.next == 2)
    }

    @Test func aCursorFromAnotherLifeOfTheRingIsIgnored() throws {
        let room = ring([1, 2, 3])
        // Position 2's predecessor carries seq 2, not the 7 this poller has: a ring from before a
        // restart gave that cursor, so the poll starts after comment 7 instead (nothing yet).
        #expect(try #require(read(room, cursor: 2, since: 7)).seqs.isEmpty)
        #expect(try #require(read(room, cursor: 99, since: 1)).seqs == [2, 3])
    }

    @Test func aPlaceBeforeTheRingIsReadFromHistory() {
        let room = ring(Array(1...40).map { UInt64($0) }, capacity: 16)
        // The ring keeps the last 15: comments 26...40.
        guard case .notInRing = room.pollRead(cursor: nil, since: 10, lastSeq: 40, limit: 100, channel: channel, now: 0)
        else {
            Issue.record("expected history")
            return
        }
        #expect(read(room, cursor: nil, since: 25)?.seqs == Array(26...40).map { UInt64($0) })
        // After a restart the ring is empty but the room has comments: history again.
        let restarted = ring([])
        guard case .notInRing = restarted.pollRead(cursor: nil, since: 3, lastSeq: 9, limit: 10, channel: channel, now: 0)
        else {
            Issue.record("expected history")
            return
        }
        #expect(read(restarted, cursor: nil, since: 9, lastSeq: 9)?.seqs == [])
    }

    @Test func theLimitAndRetractionsAreKept() throws {
        let room = ring([1, 2, 3, 4])
        let page = try #require(read(room, cursor: nil, since: 0, limit: 2))
        #expect(page.seqs == [1, 2] && page.more && page.next == 2 && page.cursor == 2)
        room.peek(2)?.retract()
        let rest = try #require(read(room, cursor: page.cursor, since: page.next))
        #expect(rest.kinds == [.notice, .comment] && rest.seqs == [3, 4])
    }
}
