/// What the HTTP API can be told; `GatewayConfiguration.api` holds it and config/wlive.yaml documents each key.
public struct APISettings: Sendable, Equatable {
    /// Sources the common field `source` may take (`wlive.sources`, shared with the handshake).
    public var allowedSources: Set<Int> = [0, 1, 2, 3, 4, 5, 6, 20, 108]
    /// Secrets that sign `authtoken`s; the first mints, any verifies (`auth.secrets`).
    public var authSecrets: [String] = []
    /// Secrets that sign admin tokens (`auth.admin_secrets`): the admin calls need one.
    public var adminSecrets: [String] = []
    /// Whether `test=1` skips the login check, as the seed's test field does (`auth.allow_test`).
    public var allowTest = true
    /// 0...1023, unique per node, part of every channel id (`channels.node_id`).
    public var nodeID = 0
    /// URL templates with `{channel_id}` (`channels.push_url`, `channels.flv_url`, `channels.rtmp_url`): the video itself is served elsewhere.
    public var pushURLTemplate = "rtmp://push.live.example.com/live/{channel_id}"
    public var flvURLTemplate = "http://play.live.example.com/live/{channel_id}.flv"
    public var rtmpURLTemplate = "rtmp://play.live.example.com/live/{channel_id}"
    /// Longest comment, in Unicode scalars (`comment.max_length`; 100 as Weibo's chat API).
    public var maxCommentLength = 100
    /// Live channels one user (source and user id) may have open at once (`channels.max_per_user`).
    public var maxChannelsPerUser = 10
    /// Live channels the gateway holds at once (`channels.max_open`).
    public var maxOpenChannels = 100_000

    /// Seconds an anchor that sent `anchorHeartbeat` may go silent before its live room is
    /// abnormal (`live.anchor_timeout`).
    public var anchorTimeout: Double = 60
    /// Seconds an abnormal room waits for its anchor before it ends (`live.abnormal_grace`;
    /// seed 001: 15 minutes).
    public var abnormalGrace: Double = 900

    /// Seconds a long-poll (`syncComments`) is held waiting for a comment (`poll.max_wait`).
    public var pollMaxWait: Double = 25
    /// Long-polls held at once (`poll.max_held`); past half of it, `pull_interval` rises.
    public var pollMaxHeld = 10_000
    /// The longest `pull_interval` the server asks of pollers, in seconds (`poll.max_pull_interval`).
    public var pollMaxPullInterval: Double = 5

    public init() {}
}
