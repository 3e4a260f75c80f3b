/// How often the server beats and when it gives up on a silent client.
public struct HeartbeatPolicy: Sendable, Equatable {
    /// Bounds for the client's `timer_interval`, in seconds.
    public var minInterval: Int
    public var maxInterval: Int
    /// A connection with no pong and no frame for this many intervals is closed.
    public var deadAfter: Int

    public init(minInterval: Int = 5, maxInterval: Int = 600, deadAfter: Int = 2) {
        self.minInterval = minInterval
        self.maxInterval = maxInterval
        self.deadAfter = deadAfter
    }

    /// The interval in force for a client that asked for `requested` seconds.
    public func interval(forRequested requested: Int) -> Int {
        min(max(requested, minInterval), maxInterval)
    }

    /// Seconds of silence after which a connection with `interval` is considered dead.
    public func deadline(forInterval interval: Int) -> Int { interval * deadAfter }
}
