import WliveProtocol
import WliveStore

/// Each room's comments in seq order on one node, whichever node accepted them.
///
/// The bus brings comments in Redis's order, but a node misses some while its link is down:
/// then what arrives past a hole waits, the hole is read from the room's history, and what
/// the history no longer holds becomes a `gap`. A plain struct that returns actions; the
/// Redis link carries them out.
public struct DeliveryOrder: Sendable {
    public enum Action: Sendable, Equatable {
        case deliver(Comment)
        /// Read the room's history after this seq, and hand the page to `fetched`.
        case fetch(ChannelID, after: UInt64)
        /// Seqs no node can deliver any more (trimmed, or taken back).
        case gap(ChannelID, from: UInt64, to: UInt64, reason: GapReason)
    }

    private struct Room {
        var delivered: UInt64
        /// Arrived past a hole, by seq.
        var held: [UInt64: Comment] = [:]
        var fetching = false
    }

    private var rooms: [ChannelID: Room] = [:]

    public init() {}

    /// The newest seq delivered in a room; nil when the room is not followed.
    public func delivered(_ id: ChannelID) -> UInt64? { rooms[id]?.delivered }

    /// Follows a room whose comments up to `seq` are in (or were never for) this node's rings.
    public mutating func follow(_ id: ChannelID, deliveredThrough seq: UInt64) {
        if rooms[id] == nil { rooms[id] = Room(delivered: seq) }
    }

    public mutating func forget(_ id: ChannelID) { rooms[id] = nil }

    /// A comment from the bus.
    public mutating func arrived(_ comment: Comment) -> [Action] {
        let id = comment.channelID
        guard var room = rooms[id] else {
            // A room this node has not heard of: it follows from here.
            rooms[id] = Room(delivered: comment.seq)
            return [.deliver(comment)]
        }
        defer { rooms[id] = room }
        if comment.seq <= room.delivered { return [] }
        if comment.seq > room.delivered + 1 {
            room.held[comment.seq] = comment
            if room.fetching { return [] }
            room.fetching = true
            return [.fetch(id, after: room.delivered)]
        }
        room.delivered = comment.seq
        var actions: [Action] = [.deliver(comment)]
        drainHeld(&room, into: &actions)
        return actions
    }

    /// The rooms followed, in no order.
    public var followedRooms: [ChannelID] { Array(rooms.keys) }

    /// The link came back: every followed room reads what it may have missed.
    public mutating func resynchronize() -> [Action] {
        var actions: [Action] = []
        for id in rooms.keys.sorted() where !rooms[id]!.fetching {
            rooms[id]!.fetching = true
            actions.append(.fetch(id, after: rooms[id]!.delivered))
        }
        return actions
    }

    /// A read asked for by `.fetch` failed: try again when the link is back (`resynchronize`).
    public mutating func fetchFailed(_ id: ChannelID) { rooms[id]?.fetching = false }

    /// The page of history a `.fetch` asked for.
    public mutating func fetched(_ id: ChannelID, _ page: CommentPage) -> [Action] {
        guard var room = rooms[id] else { return [] }
        defer { rooms[id] = room }
        room.fetching = false
        for comment in page.comments where comment.seq > room.delivered { room.held[comment.seq] = comment }
        var actions: [Action] = []
        let retracted = Set(page.retracted)
        // Up to what the page covers, every seq is a comment held or can never come.
        let covered = page.hasMore ? (page.throughSeq ?? room.delivered) : max(page.lastSeq, room.delivered)
        while room.delivered < covered {
            let next = room.delivered + 1
            if let comment = room.held.removeValue(forKey: next) {
                room.delivered = next
                actions.append(.deliver(comment))
                continue
            }
            // A hole: as far as the next held comment or the covered end.
            let reason: GapReason = retracted.contains(next) ? .retracted : .retention
            var end = next
            while end < covered, room.held[end + 1] == nil, retracted.contains(end + 1) == (reason == .retracted) {
                end += 1
            }
            room.delivered = end
            actions.append(.gap(id, from: next, to: end, reason: reason))
        }
        drainHeld(&room, into: &actions)
        if !room.held.isEmpty || page.hasMore {
            room.fetching = true
            actions.append(.fetch(id, after: room.delivered))
        }
        return actions
    }

    private func drainHeld(_ room: inout Room, into actions: inout [Action]) {
        while let next = room.held.removeValue(forKey: room.delivered + 1) {
            room.delivered = next.seq
            actions.append(.deliver(next))
        }
    }
}
