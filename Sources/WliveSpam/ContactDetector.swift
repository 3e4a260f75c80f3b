/// Finds what an advertiser posts to be contacted: phone and QQ numbers, WeChat/QQ ids after a
/// keyword, and links.
///
/// Detection works on `ContactTokens`, where digit disguises (full-width, circled, Chinese
/// numerals) are already plain digits and spaces, dashes and dots between them are separators:
///
/// - a number: at least `minDigits` digits with only separators between them, such as
///   `138 0013 8000`, `一三八零零一三八零零零` or `①③⑧…`. Runs of one or two distinct digits
///   (`66666666`, `2333333`) are how viewers cheer, not phone numbers, and are let through;
/// - a keyword and an id: `微信`, `vx`, `wx`, `qq`, `扣扣`, `企鹅` … followed by at least five
///   letters or digits, which must include a digit or be written without gaps (so "wechat is
///   great" passes); `加微`, `加v` and `vx` need only one (but `加vip` is a membership, not an id);
/// - a link: `http:`/`https:`, `www.` and `name.tld` for the top-level domains advertisers use.
///   A tld that is also an English word (`top`, `me`, `club` …) counts only right after the dot,
///   so "good game. top!" passes while `x.top` does not.
///
/// Letters glued to the front of a keyword make it part of a word (`new xbox` is not `wx`).
public struct ContactDetector: Sendable {
    /// The shortest run of digits taken for a phone or QQ number.
    public let minDigits: Int

    /// A detector taking runs of at least `minDigits` digits (at least 1) for numbers.
    public init(minDigits: Int = 7) {
        self.minDigits = max(1, minDigits)
    }

    /// Whether `text` carries a phone number, a contact id or a link.
    public func containsContact(_ text: String) -> Bool {
        ContactTokens.withTokens(text) { scan($0) }
    }

    /// One pass over the tokens for all three kinds of contact. Most tokens are Chinese
    /// characters that end a number and start nothing, so they are dealt with first.
    func scan(_ tokens: UnsafeBufferPointer<UInt32>) -> Bool {
        Self.firstTokenBits.withUnsafeBufferPointer { scan(tokens, keywordBits: $0) }
    }

    private func scan(_ tokens: UnsafeBufferPointer<UInt32>, keywordBits: UnsafeBufferPointer<UInt64>) -> Bool {
        var digits = 0
        var distinctDigits: UInt16 = 0  // a bit per digit seen in the run
        for index in tokens.indices {
            let token = tokens[index]
            if token >= 0x80 {
                digits = 0
                distinctDigits = 0
                if Self.mayStartKeyword(token, bits: keywordBits) && hasKeywordAndID(at: index, in: tokens) {
                    return true
                }
                continue
            }
            if ContactTokens.isLetter(token) {
                // Most ASCII tokens: letters of words.
                digits = 0
                distinctDigits = 0
                if token == 0x68 {  // h
                    if Self.httpStarts(at: index, in: tokens) { return true }
                } else if token == 0x77 {  // w
                    if Self.wwwStarts(at: index, in: tokens) { return true }
                }
                // A letter inside a word starts no keyword (see `hasKeywordAndID`).
                if index > 0 && ContactTokens.isLetter(tokens[index - 1]) { continue }
                if Self.mayStartKeyword(token, bits: keywordBits) && hasKeywordAndID(at: index, in: tokens) {
                    return true
                }
                continue
            }
            if ContactTokens.isDigit(token) {
                // A number: runs of one or two distinct digits are cheering, not phone numbers.
                digits += 1
                distinctDigits |= 1 &<< UInt16(token &- 0x30)
                if digits >= minDigits && distinctDigits.nonzeroBitCount >= 3 { return true }
                continue
            }
            switch token {
            case ContactTokens.separator:
                continue  // inside a number as well as between words
            case ContactTokens.dot:
                if Self.domainEnds(at: index, in: tokens) { return true }
                continue  // also inside a number
            case ContactTokens.dotWord:
                if Self.domainEnds(at: index, in: tokens) { return true }
            default:
                break
            }
            digits = 0
            distinctDigits = 0
            if Self.mayStartKeyword(token, bits: keywordBits) && hasKeywordAndID(at: index, in: tokens) {
                return true
            }
        }
        return false
    }

    // MARK: Keywords

    struct Keyword: Sendable {
        let tokens: [UInt32]
        /// Letters or digits the id after it must have.
        let minimumID: Int
        /// Whether separators and punctuation may sit between the keyword's own characters.
        /// Only for the short ones spammers space out ("v x", "Q.Q"); "we chat" is ordinary English.
        let allowsGaps: Bool

        init(_ text: String, minimumID: Int = 5) {
            tokens = text.unicodeScalars.map { $0.value < 0x80 ? ContactTokens.asciiToken($0.value) : $0.value }
            self.minimumID = minimumID
            allowsGaps = tokens.count <= 2 || tokens.contains { $0 >= 0x80 }
        }

        var startsWithLetter: Bool { ContactTokens.isLetter(tokens[0]) }
    }

    static let keywords: [Keyword] = [
        Keyword("加微", minimumID: 1), Keyword("加v", minimumID: 1), Keyword("vx", minimumID: 1),
        Keyword("微信"), Keyword("薇信"), Keyword("威信"), Keyword("徽信"), Keyword("维信"), Keyword("v信"),
        Keyword("wx"), Keyword("weixin"), Keyword("wechat"),
        Keyword("qq"), Keyword("扣扣"), Keyword("企鹅"), Keyword("私聊加"), Keyword("私聊"),
        Keyword("联系方式"), Keyword("电话"), Keyword("手机号"), Keyword("tel"), Keyword("whatsapp"), Keyword("telegram"),
    ]

    /// The first token of each keyword, for a scan that does not touch the keywords themselves.
    static let firstTokens: [UInt32] = keywords.map { $0.tokens[0] }
    /// A bit per keyword first token, by its value modulo 4096: one test in a 512-byte bitmap
    /// rules out nearly every other token.
    static let firstTokenBits: [UInt64] = firstTokens.reduce(into: [UInt64](repeating: 0, count: 64)) { bits, token in
        bits[Int(token & 4095) >> 6] |= 1 &<< UInt64(token & 63)
    }

    @inline(__always)
    private static func mayStartKeyword(_ token: UInt32, bits: UnsafeBufferPointer<UInt64>) -> Bool {
        bits[Int(token & 4095) >> 6] &>> UInt64(token & 63) & 1 != 0
    }

    /// Characters that may sit between a keyword and the id: 微信号：abc, 微信是 abc, vx搜 abc.
    static let fillers: [UInt32] = Array("号號是为搜码".unicodeScalars.map(\.value))

    @inline(__always)
    private static func isFiller(_ token: UInt32) -> Bool {
        fillers.contains(token)
    }

    /// The non-ASCII scalars the rules look at one by one: those of the keywords and the fillers.
    /// Every other Chinese character only ends a number or an id, so `ContactTokens` may write a
    /// run of them as one.
    static let significantScalars: [UInt32] = keywords.flatMap(\.tokens).filter { $0 >= 0x80 } + fillers

    @inline(__always)
    private static func isIgnorable(_ token: UInt32) -> Bool {
        token < 0x80 && !ContactTokens.isAlphanumeric(token)
    }

    /// Whether a keyword starting at `start` is followed by an id.
    private func hasKeywordAndID(at start: Int, in tokens: UnsafeBufferPointer<UInt32>) -> Bool {
        let first = tokens[start]
        return Self.firstTokens.withUnsafeBufferPointer { firstTokens in
            for index in firstTokens.indices where firstTokens[index] == first {
                let keyword = Self.keywords[index]
                if keyword.startsWithLetter && start > 0 && ContactTokens.isLetter(tokens[start - 1]) { continue }
                guard let end = Self.match(keyword, in: tokens, at: start) else { continue }
                if Self.idFollows(keyword, in: tokens, from: end) { return true }
            }
            return false
        }
    }

    /// The index after `keyword` if it starts at `start`.
    private static func match(_ keyword: Keyword, in tokens: UnsafeBufferPointer<UInt32>, at start: Int) -> Int? {
        var index = start + 1
        for expected in keyword.tokens.dropFirst() {
            if keyword.allowsGaps {
                while index < tokens.count && isIgnorable(tokens[index]) { index += 1 }
            }
            guard index < tokens.count, tokens[index] == expected else { return nil }
            index += 1
        }
        return index
    }

    private static func idFollows(_ keyword: Keyword, in tokens: UnsafeBufferPointer<UInt32>, from start: Int) -> Bool {
        var index = start
        var fillers = 0
        while index < tokens.count {
            let token = tokens[index]
            if isIgnorable(token) {
                index += 1
            } else if fillers < 2 && isFiller(token) {
                fillers += 1
                index += 1
            } else {
                break
            }
        }
        let idStart = index
        var total = 0
        var contiguous = 0
        var gapSeen = false
        var hasDigit = false
        // Ids are short (QQ numbers have at most 11 digits, WeChat ids 20 characters): looking
        // further would only let a long comment of repeated keywords cost quadratic time.
        let end = min(tokens.count, idStart + 48)
        while index < end {
            let token = tokens[index]
            if ContactTokens.isAlphanumeric(token) {
                total += 1
                if !gapSeen { contiguous += 1 }
                if ContactTokens.isDigit(token) { hasDigit = true }
            } else if isIgnorable(token) {
                gapSeen = true
            } else {
                break
            }
            index += 1
        }
        let need = keyword.minimumID
        guard total >= need, hasDigit || contiguous >= need else { return false }
        // "加vip" is joining a membership; the id would be "ip…".
        if keyword.tokens.last == 0x76, idStart + 1 < tokens.count, tokens[idStart] == 0x69, tokens[idStart + 1] == 0x70 {
            return false
        }
        return true
    }

    // MARK: Links

    private static let http: [UInt32] = Array("http".unicodeScalars.map(\.value))
    private static let www: [UInt32] = Array("www".unicodeScalars.map(\.value))

    /// Top-level domains advertisers use; `requiresTightDot` for those that are also English words.
    struct TopLevelDomain: Sendable {
        let tokens: [UInt32]
        let requiresTightDot: Bool
    }

    static let topLevelDomains: [TopLevelDomain] = {
        let plain = [
            "com", "cn", "net", "org", "xyz", "cc", "io", "tv", "co", "biz", "info", "vip", "pw", "ws", "tk",
            "wang", "ltd", "icu", "asia", "hk", "tw", "xin", "ren", "cyou", "cfd", "sbs",
        ]
        let words = ["top", "me", "club", "shop", "site", "online", "store", "fun", "link", "live", "app", "win", "work", "art"]
        return plain.map { TopLevelDomain(tokens: $0.unicodeScalars.map(\.value), requiresTightDot: false) }
            + words.map { TopLevelDomain(tokens: $0.unicodeScalars.map(\.value), requiresTightDot: true) }
    }()

    /// Whether "http", maybe "s", then ":" or "/" start at `index`.
    private static func httpStarts(at index: Int, in tokens: UnsafeBufferPointer<UInt32>) -> Bool {
        guard var next = matchSkippingSeparators(http, in: tokens, at: index) else { return false }
        next = skipSeparators(tokens, from: next)
        if next < tokens.count && tokens[next] == 0x73 { next = skipSeparators(tokens, from: next + 1) }
        return next < tokens.count && (tokens[next] == ContactTokens.colon || tokens[next] == ContactTokens.slash)
    }

    /// Whether "www." and a letter or digit start at `index`.
    private static func wwwStarts(at index: Int, in tokens: UnsafeBufferPointer<UInt32>) -> Bool {
        guard let next = matchSkippingSeparators(www, in: tokens, at: index) else { return false }
        let dot = skipSeparators(tokens, from: next)
        guard dot < tokens.count, tokens[dot] == ContactTokens.dot || tokens[dot] == ContactTokens.dotWord else { return false }
        let label = skipSeparators(tokens, from: dot + 1)
        return label < tokens.count && ContactTokens.isAlphanumeric(tokens[label])
    }

    /// Whether the dot at `dot` joins a label to a known top-level domain: "name.com", "x . cn".
    private static func domainEnds(at dot: Int, in tokens: UnsafeBufferPointer<UInt32>) -> Bool {
        var before = dot - 1
        while before >= 0 && tokens[before] == ContactTokens.separator { before -= 1 }
        guard before >= 0, ContactTokens.isAlphanumeric(tokens[before]) else { return false }
        let start = skipSeparators(tokens, from: dot + 1)
        var end = start
        while end < tokens.count && ContactTokens.isLetter(tokens[end]) { end += 1 }
        let length = end - start
        guard length >= 2, length <= 6 else { return false }
        let after = skipSeparators(tokens, from: end)
        if after < tokens.count && ContactTokens.isAlphanumeric(tokens[after]) { return false }
        let tight = start == dot + 1
        let tld = UnsafeBufferPointer(rebasing: tokens[start..<end])
        return topLevelDomains.contains { $0.tokens.elementsEqual(tld) && (tight || !$0.requiresTightDot) }
    }

    @inline(__always)
    private static func skipSeparators(_ tokens: UnsafeBufferPointer<UInt32>, from index: Int) -> Int {
        var index = index
        while index < tokens.count && tokens[index] == ContactTokens.separator { index += 1 }
        return index
    }

    private static func matchSkippingSeparators(_ word: [UInt32], in tokens: UnsafeBufferPointer<UInt32>, at start: Int) -> Int? {
        var index = start
        for (offset, expected) in word.enumerated() {
            if offset > 0 { index = skipSeparators(tokens, from: index) }
            guard index < tokens.count, tokens[index] == expected else { return nil }
            index += 1
        }
        return index
    }
}
