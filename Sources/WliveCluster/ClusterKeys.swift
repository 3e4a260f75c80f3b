import WliveProtocol

/// Where a cluster keeps things in Redis. Every key of one room carries the hash tag
/// `{r<channel id>}`, so that in a Redis Cluster a room's keys share one slot
/// (CRC16("r<id>") mod 16384) and each script touches one slot; the room index, the bans
/// and the bus are the cluster's own keys.
public struct ClusterKeys: Sendable, Equatable {
    public let prefix: String

    public init(cluster name: String) { prefix = "wlive:\(name):" }

    /// The pub/sub channel every node listens on: every change, once, in Redis's order.
    public var bus: String { prefix + "bus" }
    /// The set of every room id the cluster knows.
    public var rooms: String { prefix + "rooms" }
    /// Bans in force (`banUser`), a hash by ban key.
    public var bans: String { prefix + "bans" }
    /// Node numbers handed out, for channel ids unique across nodes.
    public var nodeNumbers: String { prefix + "nodes" }

    private func room(_ id: ChannelID) -> String { prefix + "{r\(id)}:" }
    /// The room's record (`ChannelInfo` as JSON).
    public func info(_ id: ChannelID) -> String { room(id) + "info" }
    /// The room's newest comment seq: the counter every node numbers from.
    public func seq(_ id: ChannelID) -> String { room(id) + "seq" }
    /// The room's likes in all.
    public func likes(_ id: ChannelID) -> String { room(id) + "likes" }
    /// The room's watchers, a hash by "source:userid".
    public func watchers(_ id: ChannelID) -> String { room(id) + "watchers" }
    /// The room's comment history: a stream whose entry ids are `<seq>-0`.
    public func history(_ id: ChannelID) -> String { room(id) + "history" }
    /// Seqs a moderator took back, a sorted set scored by seq.
    public func retracted(_ id: ChannelID) -> String { room(id) + "retracted" }
}
