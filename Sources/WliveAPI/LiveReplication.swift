import WliveProtocol
import WliveStore

/// What the API asks of the other nodes when the gateway is one of several (`cluster.*`):
/// comments numbered across the cluster, and what no store change says (likes as counts to
/// add, the anchor's presence). Nil on a single node.
public protocol LiveReplication: AnyObject {
    /// Numbers a checked comment in its room across every node, keeps it and publishes it.
    /// `completion` runs once it is kept and in this node's rings, or with 100 when it could not
    /// be kept (then no node delivers it).
    func append(_ comment: Comment, completion: @escaping (Result<Comment, WliveResultCode>) -> Void)
    /// `count` likes were added to a room on this node.
    func liked(_ id: ChannelID, count: Int64)
    /// The room's anchor is present on this node (a heartbeat call, or its socket still open).
    func anchorPresent(_ id: ChannelID)
}
