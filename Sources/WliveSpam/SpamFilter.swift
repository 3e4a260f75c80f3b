/// Runs a posted comment through the spam rules and remembers what the stateful rules need.
///
/// The rules run in the order of `SpamRule`: `banned_word` and `contact` look at the text alone;
/// `rate_limit` charges the user's bucket in the channel for every comment that gets that far;
/// `repeat` and `flood` compare the text's normal form with what was accepted lately. Only a
/// comment that passes every rule enters the repeat and flood history, so refused comments do
/// not help a flood along.
///
/// Memory stays bounded by recent traffic: history older than its window is forgotten as the
/// clock advances (see `SlidingWindowCounter` and `RateLimiter`), in amortised constant time
/// per check.
///
/// Not thread-safe: each event loop owns one filter (the dictionary inside is shared).
public struct SpamFilter {
    /// The thresholds in force.
    public private(set) var settings: SpamSettings
    /// The banned words in force.
    public private(set) var dictionary: BannedWordDictionary
    /// Comments refused so far, per rule (every rule present, from zero).
    public private(set) var refusals: [SpamRule: Int]

    private let contactDetector: ContactDetector
    /// The key of the text digests and user keys, drawn at random for each filter.
    private let hashKey = SipHashKey.random()
    private var rateLimiter: RateLimiter
    private var repeats: SlidingWindowCounter
    private var floods: SlidingWindowCounter

    /// A filter with empty history. Builds the shared scalar tables on first use in a process
    /// (some 30 ms), so that no comment waits for them.
    public init(settings: SpamSettings = SpamSettings(), dictionary: BannedWordDictionary) {
        self.settings = settings
        self.dictionary = dictionary
        self.refusals = Dictionary(uniqueKeysWithValues: SpamRule.allCases.map { ($0, 0) })
        contactDetector = ContactDetector(minDigits: settings.minContactDigits)
        _ = ContactTokenTable.shared  // built here (with the mapping table under it), not in the first check
        rateLimiter = RateLimiter(capacity: settings.rateLimitCount, window: settings.rateLimitWindow)
        repeats = SlidingWindowCounter(window: settings.repeatWindow)
        floods = SlidingWindowCounter(window: settings.floodWindow)
    }

    /// Swaps in a reloaded dictionary; the rate, repeat and flood history is kept.
    public mutating func replaceDictionary(_ dictionary: BannedWordDictionary) {
        self.dictionary = dictionary
    }

    /// Checks a comment and, if it passes, records it.
    ///
    /// - Parameters:
    ///   - channel: the channel id.
    ///   - user: an opaque user key (e.g. "2:123"), compared byte for byte.
    ///   - content: the comment as posted.
    ///   - now: seconds on a monotonic clock; only differences matter.
    /// - Returns: nil to accept the comment, or the verdict of the first rule that refuses it.
    public mutating func check(channel: UInt64, user: String, content: String, now: Double) -> SpamVerdict? {
        let text: UInt64
        switch screen(content) {
        case .refused(let rule): return refuse(rule)
        case .passed(let digest): text = digest
        }

        let userKey = SpamKey.user(channel: channel, user: user, key: hashKey)
        if settings.limitsRate && !rateLimiter.take(userKey, now: now) { return refuse(.rateLimit) }

        let repeatKey = SpamKey.userText(user: userKey, text: text)
        if settings.refusesRepeats {
            repeats.expire(now: now)
            if repeats.count(of: repeatKey) > 0 { return refuse(.repeatText) }
        }
        let floodKey = SpamKey.channelText(channel: channel, text: text)
        if settings.refusesFloods {
            floods.expire(now: now)
            if floods.count(of: floodKey) >= settings.floodCount { return refuse(.flood) }
        }

        if settings.refusesRepeats { repeats.record(repeatKey, now: now) }
        if settings.refusesFloods { floods.record(floodKey, now: now) }
        return nil
    }

    /// Records a comment accepted elsewhere (another node of a cluster) for the stateful rules:
    /// it uses up the user's rate and counts toward repeats and floods, as if checked here.
    public mutating func observe(channel: UInt64, user: String, content: String, now: Double) {
        let text = digest(content)
        let userKey = SpamKey.user(channel: channel, user: user, key: hashKey)
        if settings.limitsRate { _ = rateLimiter.take(userKey, now: now) }
        if settings.refusesRepeats {
            repeats.expire(now: now)
            repeats.record(SpamKey.userText(user: userKey, text: text), now: now)
        }
        if settings.refusesFloods {
            floods.expire(now: now)
            floods.record(SpamKey.channelText(channel: channel, text: text), now: now)
        }
    }

    /// Takes back what `check` recorded for a comment that was then not kept (the store or the
    /// cluster answered 100): a client's retry of it is not a repeat, nor one more of a flood.
    /// The rate it used stays used, as for any attempt.
    public mutating func withdraw(channel: UInt64, user: String, content: String) {
        let text = digest(content)
        let userKey = SpamKey.user(channel: channel, user: user, key: hashKey)
        if settings.refusesRepeats { repeats.forget(SpamKey.userText(user: userKey, text: text)) }
        if settings.refusesFloods { floods.forget(SpamKey.channelText(channel: channel, text: text)) }
    }

    /// The digest of a text's normal form, as `check` takes it.
    private func digest(_ content: String) -> UInt64 {
        TextNormalizer.withNormalizedScalars(content) { normalized in
            TextDigest.of(normalized: normalized, original: content, key: hashKey)
        }
    }

    /// The outcome of the rules that read the text alone.
    private enum Screening {
        case refused(SpamRule)
        /// Passed, with the digest of the text's normal form.
        case passed(UInt64)
    }

    /// Runs `banned_word` and `contact`, and digests the text for the rules after them.
    ///
    /// Static, with only what the rules read passed in: a closure that captured `self` would
    /// copy the whole filter (retaining each of its tables) on every check.
    private func screen(_ content: String) -> Screening {
        Self.screen(
            content, dictionary: settings.bannedWords ? dictionary : nil,
            contact: settings.contact ? contactDetector : nil, key: hashKey)
    }

    private static func screen(
        _ content: String, dictionary: BannedWordDictionary?, contact: ContactDetector?,
        key: SipHashKey
    ) -> Screening {
        guard let contact else {
            return TextNormalizer.withNormalizedScalars(content) { normalized in
                if let dictionary, dictionary.automaton.firstMatch(in: normalized) != nil { return .refused(.bannedWord) }
                return .passed(TextDigest.of(normalized: normalized, original: content, key: key))
            }
        }
        // One decoding pass serves the dictionary, the contact rule and the digest.
        return CommentScanner.withNormalFormAndTokens(content) { normalized, tokens in
            if let dictionary, dictionary.automaton.firstMatch(in: normalized) != nil { return .refused(.bannedWord) }
            if contact.scan(tokens) { return .refused(.contact) }
            return .passed(TextDigest.of(normalized: normalized, original: content, key: key))
        }
    }

    private mutating func refuse(_ rule: SpamRule) -> SpamVerdict {
        refusals[rule, default: 0] += 1
        return SpamVerdict(rule: rule)
    }

    // MARK: For tests

    /// Rate-limit buckets (users per channel) remembered.
    var trackedUserCount: Int { rateLimiter.count }
    /// Texts per user and channel the repeat rule remembers.
    var trackedRepeatCount: Int { repeats.keyCount }
    /// Texts per channel the flood rule remembers.
    var trackedTextCount: Int { floods.keyCount }
}

extension SpamSettings {
    var limitsRate: Bool { rateLimitCount > 0 && rateLimitWindow > 0 }
    var refusesRepeats: Bool { repeatWindow > 0 }
    var refusesFloods: Bool { floodCount > 0 && floodWindow > 0 }
}
