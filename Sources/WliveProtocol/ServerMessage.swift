import WliveCodec

/// A comment as subscribers receive it; docs/PROTOCOL.md shows the JSON.
public struct Comment: Sendable, Equatable, Codable {
    /// Unique id of the comment.
    public var id: String
    /// Position in the channel: 1, 2, 3… with no gaps, so a client can spot a missed comment.
    public var seq: UInt64
    public var channelID: ChannelID
    public var userID: String
    public var source: Int
    public var biz: String
    /// Opaque JSON text from the poster (nickname, avatar), passed through as a string.
    public var extJSON: String
    public var content: String
    /// The poster's optional comment type, passed through.
    public var commentType: String
    /// Milliseconds since the epoch, when the server accepted the comment.
    public var time: Int64

    public init(
        id: String, seq: UInt64, channelID: ChannelID, userID: String, source: Int, biz: String,
        extJSON: String = "", content: String, commentType: String = "", time: Int64
    ) {
        self.id = id
        self.seq = seq
        self.channelID = channelID
        self.userID = userID
        self.source = source
        self.biz = biz
        self.extJSON = extJSON
        self.content = content
        self.commentType = commentType
        self.time = time
    }
}

extension Comment {
    /// Reads a comment back from its `comment` message JSON (`ServerMessage.comment`): how a
    /// store keeps a pinned comment. Nil when the text is not one.
    public init?(messageJSON bytes: [UInt8]) {
        guard let fields = try? JSONObjectFields.parse(bytes), fields["type"] == "comment",
            let id = fields["id"], let seq = fields["seq"].flatMap({ UInt64($0) }),
            let channel = fields["channel_id"].flatMap({ ChannelID($0) }), let time = fields["time"].flatMap({ Int64($0) })
        else { return nil }
        self.init(
            id: id, seq: seq, channelID: channel, userID: fields["userid"] ?? "",
            source: fields["source"].flatMap { Int($0) } ?? 0,
            biz: fields["biz"] ?? "", extJSON: fields["ext_json"] ?? "", content: fields["content"] ?? "",
            commentType: fields["comment_type"] ?? "", time: time)
    }
}

/// How many watch a channel: `online` and `total` are the API's watchers (joinLive, now and
/// ever), `connections` the sockets subscribed on this gateway now.
public struct ChannelCounts: Sendable, Equatable {
    public var online: Int
    public var total: Int
    public var connections: Int

    public init(online: Int, total: Int, connections: Int) {
        self.online = online
        self.total = total
        self.connections = connections
    }
}

/// Every JSON message the server pushes down a Wlive connection.
///
/// All share the seed's envelope style: a `type`, and where an outcome is reported, `code` and
/// `message`. `encoded()` gives the UTF-8 JSON text, the payload of one text frame.
public enum ServerMessage: Sendable, Equatable {
    /// The answer to a good handshake.
    case handshakeAccepted(Acknowledgement)
    /// The answer to a bad handshake; a close follows.
    case handshakeRejected(code: WliveResultCode, message: String)
    case comment(Comment)
    /// A channel event that is not a comment, such as the online count.
    case notice(channelID: ChannelID, kind: String, counts: ChannelCounts, time: Int64)
    /// Sent every heartbeat interval; `lastSeq` lets a client check it missed no comment.
    case heartbeat(channelID: ChannelID, counts: ChannelCounts, lastSeq: UInt64, time: Int64)
    /// The room moved to another life-cycle state (paused, live again, abnormal, ...); a final
    /// state is followed by `channelClosed`.
    case status(channelID: ChannelID, state: ChannelState, reason: String, time: Int64)
    /// Likes since the last such notice (`delta`) and in all (`total`), at most one a second.
    case likes(channelID: ChannelID, total: Int64, delta: Int64, time: Int64)
    /// A moderator took back a comment already shown (`deleteComment`): remove it from view.
    case commentDeleted(channelID: ChannelID, id: String, seq: UInt64, reason: String, time: Int64)
    /// A moderator took back every comment of one user since `fromTime` (`banUser` with
    /// `purge_minutes`): remove each of theirs from view.
    case commentsPurged(channelID: ChannelID, userID: String, source: Int, fromTime: Int64, time: Int64)
    /// The room's modes changed (slow mode, anchor-only).
    case modes(channelID: ChannelID, modes: RoomModes, time: Int64)
    /// The pinned comment changed; nil: unpinned.
    case pinned(channelID: ChannelID, comment: Comment?, time: Int64)
    /// The channel ended (`state`: ended, banned or expired); a normal close follows.
    case channelClosed(channelID: ChannelID, state: ChannelState, reason: String, time: Int64)
    /// Something the client did was refused; the connection stays open unless a close follows.
    case error(code: WliveResultCode, message: String)
    /// The comments `fromSeq...toSeq` (`missed` of them) were dropped for this client, and why.
    case gap(channelID: ChannelID, fromSeq: UInt64, toSeq: UInt64, reason: GapReason, time: Int64)

    public func encoded() -> [UInt8] {
        var json = JSONObjectWriter()
        switch self {
        case .handshakeAccepted(let ack):
            json.field("type", "handshake")
            json.field("code", WliveResultCode.success.rawValue)
            json.field("message", "success")
            json.field("channel_id", ack.channelID.description)
            json.field("timer_interval", ack.timerInterval)
            json.counts(ack.counts)
            json.field("last_seq", ack.lastSeq)
            json.field("server_time", ack.serverTime)
            json.field("status", ack.state.seedStatus)
            json.field("live_status", ack.state.rawValue)
            json.modes(ack.modes)
            json.field("pinned", rawJSON: ack.pinned.map { ServerMessage.comment($0).encoded() } ?? Array("null".utf8))
            json.field("epoch", ack.epoch)
            json.field("resumed", ack.resumed)
            json.field("replayed", ack.replayed)
        case .handshakeRejected(let code, let message):
            json.field("type", "handshake")
            json.field("code", code.rawValue)
            json.field("message", message)
        case .comment(let comment):
            json.field("type", "comment")
            json.field("id", comment.id)
            json.field("seq", comment.seq)
            json.field("channel_id", comment.channelID.description)
            json.field("userid", comment.userID)
            json.field("source", comment.source)
            json.field("biz", comment.biz)
            json.field("ext_json", comment.extJSON)
            json.field("content", comment.content)
            json.field("comment_type", comment.commentType)
            json.field("time", comment.time)
        case .notice(let channelID, let kind, let counts, let time):
            json.notice(kind, of: channelID)
            json.counts(counts)
            json.field("time", time)
        case .status(let channelID, let state, let reason, let time):
            json.notice("status", of: channelID)
            json.field("status", state.seedStatus)
            json.field("live_status", state.rawValue)
            json.field("state", state.name)
            json.field("reason", reason)
            json.field("time", time)
        case .likes(let channelID, let total, let delta, let time):
            json.notice("likes", of: channelID)
            json.field("total_likes", total)
            json.field("delta", delta)
            json.field("time", time)
        case .commentDeleted(let channelID, let id, let seq, let reason, let time):
            json.field("type", "comment_deleted")
            json.field("channel_id", channelID.description)
            json.field("id", id)
            json.field("seq", seq)
            json.field("reason", reason)
            json.field("time", time)
        case .commentsPurged(let channelID, let userID, let source, let fromTime, let time):
            json.field("type", "comments_purged")
            json.field("channel_id", channelID.description)
            json.field("userid", userID)
            json.field("source", source)
            json.field("from_time", fromTime)
            json.field("time", time)
        case .modes(let channelID, let modes, let time):
            json.notice("modes", of: channelID)
            json.modes(modes)
            json.field("time", time)
        case .pinned(let channelID, let comment, let time):
            json.notice("pinned", of: channelID)
            json.field("pinned", rawJSON: comment.map { ServerMessage.comment($0).encoded() } ?? Array("null".utf8))
            json.field("time", time)
        case .heartbeat(let channelID, let counts, let lastSeq, let time):
            json.field("type", "heartbeat")
            json.field("channel_id", channelID.description)
            json.counts(counts)
            json.field("last_seq", lastSeq)
            json.field("time", time)
        case .channelClosed(let channelID, let state, let reason, let time):
            json.field("type", "channel_closed")
            json.field("code", WliveResultCode.channelClosed.rawValue)
            json.field("message", "channel closed")
            json.field("channel_id", channelID.description)
            json.field("live_status", state.rawValue)
            json.field("reason", reason)
            json.field("time", time)
        case .error(let code, let message):
            json.field("type", "error")
            json.field("code", code.rawValue)
            json.field("message", message)
        case .gap(let channelID, let fromSeq, let toSeq, let reason, let time):
            json.field("type", "gap")
            json.field("channel_id", channelID.description)
            json.field("from_seq", fromSeq)
            json.field("to_seq", toSeq)
            json.field("missed", toSeq - fromSeq + 1)
            json.field("reason", reason.rawValue)
            json.field("time", time)
        }
        return json.finish()
    }
}

extension JSONObjectWriter {
    /// The head every notice starts with: its type, its kind and its room.
    mutating func notice(_ kind: String, of channel: ChannelID) {
        field("type", "notice")
        field("notice", kind)
        field("channel_id", channel.description)
    }

    mutating func modes(_ modes: RoomModes) {
        field("slow_mode", modes.slowMode)
        field("anchor_only", modes.anchorOnly)
    }

    mutating func counts(_ counts: ChannelCounts) {
        field("online_num", counts.online)
        field("total_num", counts.total)
        field("connections", counts.connections)
    }
}

extension SharedFrame {
    /// The text frame carrying `message`, encoded once for every connection that writes it.
    public convenience init(_ message: ServerMessage) {
        self.init(opcode: .text, payload: message.encoded())
    }
}

/// What a viewer learns as its handshake is accepted: the room's state, so it needs no second
/// request, and what a resume did.
public struct Acknowledgement: Sendable, Equatable {
    public var channelID: ChannelID
    public var timerInterval: Int
    public var counts: ChannelCounts
    /// The newest comment's `seq` as the viewer joins.
    public var lastSeq: UInt64
    public var serverTime: Int64
    public var state: ChannelState
    /// The room's epoch: which life of the room its `seq`s count in.
    public var epoch: UInt64
    /// Whether the handshake's `since_seq` was honoured (in the same epoch).
    public var resumed: Bool
    /// Comments replayed after the acknowledgement, before the live ones.
    public var replayed: Int
    /// The room's modes and pinned comment as the viewer joins, so a late joiner has them at once.
    public var modes: RoomModes
    public var pinned: Comment?

    public init(
        channelID: ChannelID, timerInterval: Int, counts: ChannelCounts, lastSeq: UInt64, serverTime: Int64,
        state: ChannelState = .live, epoch: UInt64 = 0, resumed: Bool = false, replayed: Int = 0,
        modes: RoomModes = RoomModes(), pinned: Comment? = nil
    ) {
        self.modes = modes
        self.pinned = pinned
        self.channelID = channelID
        self.timerInterval = timerInterval
        self.counts = counts
        self.lastSeq = lastSeq
        self.serverTime = serverTime
        self.state = state
        self.epoch = epoch
        self.resumed = resumed
        self.replayed = replayed
    }
}

/// Why a client missed comments.
public enum GapReason: String, Sendable, Equatable {
    /// Its worker fell more than a ring behind the channel.
    case overrun
    /// It read too slowly (`fanout.slow_consumer_policy: skip`).
    case slow
    /// It resumed from before what the history still keeps (`history.*`), or from another
    /// epoch of the room.
    case retention
    /// A moderator took the comments back (`deleteComment`, `banUser` with `purge_minutes`).
    case retracted
}

/// A room's moderation modes: pushed as they change, carried by every acknowledgement.
public struct RoomModes: Sendable, Equatable, Codable {
    /// Seconds a user must wait between two comments in the room; 0: no limit.
    public var slowMode: Int
    /// Only the room's owner (the anchor) may comment: a muted room.
    public var anchorOnly: Bool

    public init(slowMode: Int = 0, anchorOnly: Bool = false) {
        self.slowMode = slowMode
        self.anchorOnly = anchorOnly
    }
}
