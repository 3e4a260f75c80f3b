/// Why a comment was refused: the first rule that objected and a sentence saying so.
public struct SpamVerdict: Sendable, Equatable {
    /// The rule that refused the comment.
    public var rule: SpamRule
    /// Human-readable English, safe to show the poster: it names no dictionary word.
    public var message: String

    /// A verdict with a message of the caller's.
    public init(rule: SpamRule, message: String) {
        self.rule = rule
        self.message = message
    }

    /// The verdict `rule` gives, with its standard message.
    public init(rule: SpamRule) {
        self.init(rule: rule, message: Self.standardMessage(for: rule))
    }

    static func standardMessage(for rule: SpamRule) -> String {
        switch rule {
        case .bannedWord: "comment contains a banned word"
        case .contact: "comment contains contact details or a link"
        case .rateLimit: "too many comments, please slow down"
        case .repeatText: "the same comment was posted a moment ago"
        case .flood: "too many identical comments in this channel"
        }
    }
}
