import WliveProtocol

/// Makes channel ids of the seed's shape: 64-bit "snowflakes" (milliseconds since 2010-11-04,
/// the epoch the seed's own ids decode with, then a 10-bit node id, then a 12-bit counter).
/// They are time-ordered, 19 digits today, and unique across nodes with distinct node ids.
/// Not thread-safe: one generator per API loop.
public struct ChannelIDGenerator: Sendable {
    /// 2010-11-04T01:42:54.657Z: `969806108841504768 >> 22` counts from it to March 2018, the
    /// date of the seed's examples.
    public static let epochMilliseconds: Int64 = 1_288_834_974_657
    public let node: UInt64
    private var lastMillisecond: Int64 = 0
    private var counter: UInt64 = 0

    /// - Parameter node: 0...1023, unique per gateway node (config `api.node_id`).
    public init(node: Int) {
        precondition((0...1023).contains(node), "node id must be in 0...1023")
        self.node = UInt64(node)
    }

    /// The next id at wall-clock time `now` (milliseconds since the Unix epoch).
    public mutating func next(now: Int64) -> ChannelID {
        var millisecond = max(now, lastMillisecond)
        if millisecond == lastMillisecond {
            counter += 1
            if counter > 0xFFF {
                // 4,096 ids in one millisecond: borrow the next one rather than repeat.
                millisecond += 1
                counter = 0
            }
        } else {
            counter = 0
        }
        lastMillisecond = millisecond
        let elapsed = UInt64(millisecond - Self.epochMilliseconds)
        return ChannelID(rawValue: elapsed << 22 | node << 12 | counter)
    }

    /// The creation time encoded in an id, in Unix milliseconds.
    public static func timestamp(of id: ChannelID) -> Int64 {
        Int64(id.rawValue >> 22) + epochMilliseconds
    }
}
