import WliveProtocol
import WliveStore

/// The clocks of the room life-cycle: an anchor gone silent, an abnormal room's grace, a
/// planned room's end. Plain state with no I/O: the API tells it what happened and, once a
/// second, applies the events `due(now:)` returns. Times are Unix milliseconds, as the store
/// keeps them, so an abnormal room's grace runs on across a restart.
///
/// Only rooms with a clock running are held, so a tick costs O(such rooms), not O(rooms).
struct RoomTimers {
    /// Milliseconds (`live.anchor_timeout`, `live.abnormal_grace`).
    let anchorTimeout: Int64
    let abnormalGrace: Int64

    private struct Room {
        var state: ChannelState
        /// When the room entered `state`.
        var since: Int64
        /// The anchor's last `anchorHeartbeat`; nil until its first (so anchors that never
        /// send one are never taken for gone).
        var anchorSeen: Int64?
        /// `plan_end_time`, or 0.
        var planEnd: Int64
        /// The anchor's own sockets open now: while there is one, the anchor is there.
        var anchorSockets = 0
    }

    private var rooms: [ChannelID: Room] = [:]

    init(anchorTimeout: Double, abnormalGrace: Double) {
        self.anchorTimeout = Int64(anchorTimeout * 1000)
        self.abnormalGrace = Int64(abnormalGrace * 1000)
    }

    /// A room is known in `state` since `since` (started, restored, or moved).
    mutating func track(_ channel: ChannelInfo) {
        var room = rooms[channel.id] ?? Room(state: channel.state, since: channel.stateSince, planEnd: channel.planEndTime)
        if room.state != channel.state, channel.state == .live {
            // Back to live (resumed, the anchor back): silence counts from now, not from before.
            room.anchorSeen = room.anchorSeen.map { _ in channel.stateSince }
        }
        room.state = channel.state
        room.since = channel.stateSince
        room.planEnd = channel.planEndTime
        store(room, channel.id)
    }

    /// The room's anchor showed its presence at `now`: from now on, its silence is watched.
    mutating func anchorSeen(_ channel: ChannelInfo, at now: Int64) {
        var room = rooms[channel.id] ?? Room(state: channel.state, since: channel.stateSince, planEnd: channel.planEndTime)
        room.anchorSeen = now
        store(room, channel.id)
    }

    /// The anchor's own socket opened (`connected`) or closed at `now`. While one is open the
    /// anchor is present; when the last closes, its silence counts from then.
    mutating func anchorSocket(_ channel: ChannelInfo, connected: Bool, at now: Int64) {
        var room = rooms[channel.id] ?? Room(state: channel.state, since: channel.stateSince, planEnd: channel.planEndTime)
        room.anchorSockets = max(0, room.anchorSockets + (connected ? 1 : -1))
        room.anchorSeen = now
        store(room, channel.id)
    }

    /// The events whose time has come at `now`, one per room at most.
    func due(now: Int64) -> [(ChannelID, RoomEvent)] {
        var events: [(ChannelID, RoomEvent)] = []
        for (id, room) in rooms {
            switch room.state {
            case .live:
                if room.anchorSockets == 0, let seen = room.anchorSeen, now - seen >= anchorTimeout {
                    events.append((id, .anchorLost))
                }
            case .abnormal:
                if now - room.since >= abnormalGrace { events.append((id, .graceExpired)) }
            case .notStarted:
                if room.planEnd > 0, now >= room.planEnd { events.append((id, .planExpired)) }
            case .paused, .ended, .banned, .expired:
                break
            }
        }
        return events
    }

    /// Rooms where the anchor's own socket is open now.
    var roomsWithAnchorSockets: [ChannelID] { rooms.compactMap { $0.value.anchorSockets > 0 ? $0.key : nil } }

    /// Rooms with a clock running (for tests and the admin port).
    var count: Int { rooms.count }

    /// Keeps a room only while some clock of it can fire.
    private mutating func store(_ room: Room, _ id: ChannelID) {
        let watched =
            !room.state.isFinal
            && (room.anchorSeen != nil || room.state == .abnormal || (room.state == .notStarted && room.planEnd > 0))
        rooms[id] = watched ? room : nil
    }
}
