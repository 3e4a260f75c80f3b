/// The rules a comment passes, in the order they run; the raw value names the rule in logs and metrics.
public enum SpamRule: String, CaseIterable, Sendable {
    /// The normalised text contains a word of the banned-word dictionary.
    case bannedWord = "banned_word"
    /// The text carries a phone number, a QQ/WeChat id or a link.
    case contact
    /// The user has posted too many comments in this channel lately.
    case rateLimit = "rate_limit"
    /// The user posted the same text in this channel a moment ago.
    case repeatText = "repeat"
    /// Many people pasted the same text into this channel a moment ago.
    case flood
}
