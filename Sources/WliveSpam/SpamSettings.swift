/// The thresholds of the spam rules, all configurable; the defaults suit a busy live channel.
///
/// A count or window of zero (or less) turns its rule off, so an operator can disable one rule
/// without touching the others.
public struct SpamSettings: Sendable, Equatable {
    /// Refuse comments that contain a word of the banned-word dictionary.
    public var bannedWords = true
    /// Refuse comments that carry a phone number, a QQ/WeChat id or a link.
    public var contact = true
    /// The shortest run of digits (disguises and separators allowed) taken for a phone or QQ number.
    public var minContactDigits = 7
    /// Comments one user may post in one channel per `rateLimitWindow`; the bucket's capacity.
    public var rateLimitCount = 5
    /// Seconds in which a full bucket of `rateLimitCount` tokens refills.
    public var rateLimitWindow: Double = 10
    /// Seconds during which one user may not post the same (normalised) text twice in a channel.
    public var repeatWindow: Double = 60
    /// How many times the same text may be accepted in a channel within `floodWindow`, from anyone.
    public var floodCount = 5
    /// Seconds over which `floodCount` is counted.
    public var floodWindow: Double = 10

    /// The defaults: every rule on, 7 digits, 5 comments per 10 s, repeats within 60 s, more
    /// than 5 identical comments per 10 s.
    public init() {}
}
