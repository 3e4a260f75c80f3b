/// A comment reduced to what contact detection looks at: ASCII letters and digits with the
/// disguises taken off, a few kinds of punctuation, and everything else as it is.
///
/// Tokens are scalar values: `a`–`z` and `0`–`9` as ASCII (full-width, circled, parenthesised
/// and mathematical forms, Chinese numerals such as 一三八 and 幺/两 all become digits), the
/// constants below for punctuation, and other scalars (Chinese characters, other letters)
/// unchanged, except that a run of quiet ideographs (see `ContactTokenTable.Lookup.isQuietIdeograph`)
/// is one token: its first.
enum ContactTokens {
    /// Spaces, zero-width characters, dashes, underscores, middle dots, symbols and emoji: what
    /// spammers put between the digits of a phone number. Skipped inside numbers, ids and links.
    static let separator: UInt32 = 0x20
    /// `.`, `。`, `．`: separates digits, and domain labels in links.
    static let dot: UInt32 = 0x2E
    static let colon: UInt32 = 0x3A
    static let slash: UInt32 = 0x2F
    /// 点, written for the dot of a link ("abc点com"); a dot only there.
    static let dotWord: UInt32 = 0x01
    /// Any other punctuation: ends a number.
    static let punctuation: UInt32 = 0x02

    @inline(__always) static func isDigit(_ token: UInt32) -> Bool { token &- 0x30 < 10 }
    @inline(__always) static func isLetter(_ token: UInt32) -> Bool { token &- 0x61 < 26 }
    @inline(__always) static func isAlphanumeric(_ token: UInt32) -> Bool { isDigit(token) || isLetter(token) }

    /// Runs `body` with the tokens of `text`, on the stack for comment-sized texts.
    static func withTokens<R>(_ text: String, _ body: (UnsafeBufferPointer<UInt32>) -> R) -> R {
        text.withUTF8Bytes { bytes in
            ScalarBuffer.withValues(of: bytes, written: { tokenize(bytes, $0) }, body)
        }
    }

    @inline(__always)
    static func tokenize(_ bytes: UnsafeBufferPointer<UInt8>, _ emit: (UInt32) -> Void) {
        ContactTokenTable.withLookup { table in
            var inQuietRun = false
            UTF8Scalars.forEach(bytes) { value in
                if table.isQuietIdeograph(value) {
                    if !inQuietRun { emit(value) }
                    inQuietRun = true
                } else {
                    inQuietRun = false
                    table.forEachToken(of: value, emit)
                }
            }
        }
    }

    /// The tokens of one scalar, from first principles: what `ContactTokenTable` holds for the BMP.
    static func tokens(of value: UInt32) -> [UInt32] {
        if value < 0x80 { return [asciiToken(value)] }
        if let number = enclosedNumber(value) {
            // Circled, parenthesised and full-stop numbers, done before NFKC, which would wrap
            // "⑴" in parentheses that end a number.
            return number >= 10 ? [0x30 + number / 10, 0x30 + number % 10] : [0x30 + number]
        }
        if let token = specialToken(value) { return [token] }
        var tokens: [UInt32] = []
        ScalarMappingTable.withLookup { mapping in
            mapping.forEachMapping(of: value) { tokens.append(token(for: $0)) }
        }
        return tokens
    }

    @inline(__always)
    static func asciiToken(_ value: UInt32) -> UInt32 {
        switch value {
        case 0x61...0x7A, 0x30...0x39: value
        case 0x41...0x5A: value + 0x20
        case 0x2E: dot
        case 0x3A: colon
        case 0x2F: slash
        case 0x00...0x20, 0x7F, 0x2D, 0x5F, 0x7E, 0x2A, 0x2B, 0x3D, 0x7C, 0x5E, 0x60: separator  // - _ ~ * + = | ^ `
        default: punctuation
        }
    }

    /// The token of a scalar as NFKC maps it.
    @inline(__always)
    static func token(for mapped: MappedScalar) -> UInt32 {
        let value = mapped.value
        if value < 0x80 { return asciiToken(value) }
        switch mapped.kind {
        case .kept: return chineseDigit(value) ?? value
        case .invisible, .symbol, .mark: return separator
        case .punctuation: return punctuation
        }
    }

    /// The value of a circled, parenthesised or full-stop number (①, ⑴, ⒈, ❶, ➀, ➊, ⓪ …), if `value` is one.
    static func enclosedNumber(_ value: UInt32) -> UInt32? {
        switch value {
        case 0x2460...0x2473: value - 0x2460 + 1  // ① … ⑳
        case 0x2474...0x2487: value - 0x2474 + 1  // ⑴ … ⒇
        case 0x2488...0x249B: value - 0x2488 + 1  // ⒈ … ⒛
        case 0x24EA, 0x24FF: 0  // ⓪ ⓿
        case 0x24EB...0x24F4: value - 0x24EB + 11  // ⓫ … ⓴
        case 0x24F5...0x24FE: value - 0x24F5 + 1  // ⓵ … ⓾
        case 0x2776...0x277F: value - 0x2776 + 1  // ❶ … ❿
        case 0x2780...0x2789: value - 0x2780 + 1  // ➀ … ➉
        case 0x278A...0x2793: value - 0x278A + 1  // ➊ … ➓
        default: nil
        }
    }

    /// Tokens decided by the raw scalar rather than its NFKC mapping.
    private static func specialToken(_ value: UInt32) -> UInt32? {
        switch value {
        case 0x70B9: dotWord  // 点
        case 0x3002, 0xFF61: dot  // 。 ｡
        case 0x00B7, 0x2022, 0x2027, 0x2219, 0x30FB, 0xFF65: separator  // middle dots and bullets
        case 0x2010...0x2015, 0x2212, 0x30FC, 0xFF70, 0x2E3A, 0x2E3B: separator  // dashes, ー
        case 0x25CB, 0x25EF: 0x30  // ○ ◯, written for 〇
        default: chineseDigit(value)
        }
    }

    /// The digit a Chinese numeral stands for when a phone number is read out: 零〇一二…九, the
    /// financial forms 壹贰叁…, and the spoken 幺 (1) and 两 (2).
    static func chineseDigit(_ value: UInt32) -> UInt32? {
        switch value {
        case 0x96F6, 0x3007: 0x30  // 零 〇
        case 0x4E00, 0x58F9, 0x5E7A: 0x31  // 一 壹 幺
        case 0x4E8C, 0x8D30, 0x8CB3, 0x4E24, 0x5169: 0x32  // 二 贰 貳 两 兩
        case 0x4E09, 0x53C1: 0x33  // 三 叁
        case 0x56DB, 0x8086: 0x34  // 四 肆
        case 0x4E94, 0x4F0D: 0x35  // 五 伍
        case 0x516D, 0x9646, 0x9678: 0x36  // 六 陆 陸
        case 0x4E03, 0x67D2: 0x37  // 七 柒
        case 0x516B, 0x634C: 0x38  // 八 捌
        case 0x4E5D, 0x7396: 0x39  // 九 玖
        default: nil
        }
    }
}
