/// An incremental UTF-8 validator that rejects a bad byte the moment it arrives.
///
/// A text message may be split over many frames and reads; the validator carries the state of an
/// unfinished character from one piece to the next, so a connection can fail with 1007 on the
/// first invalid byte rather than after buffering the whole message (RFC 6455 section 8.1).
/// Overlong forms, surrogates (U+D800–U+DFFF) and code points above U+10FFFF are invalid.
public struct UTF8Validator: Sendable {
    /// Continuation bytes still owed by the current character.
    private var pending: UInt8 = 0
    /// Bounds for the next continuation byte; narrower than 0x80...0xBF right after some lead bytes.
    private var lower: UInt8 = 0x80
    private var upper: UInt8 = 0xBF

    public init() {}

    /// True when no character is left unfinished: the text seen so far could end here.
    public var isAtCharacterBoundary: Bool { pending == 0 }

    /// Feeds more bytes; returns false as soon as one is invalid (the validator is then spent).
    public mutating func validate(_ bytes: UnsafeRawBufferPointer) -> Bool {
        let count = bytes.count
        guard count > 0, let base = bytes.baseAddress else { return true }
        var index = 0
        while index < count {
            if pending == 0 {
                // ASCII runs are the common case: skip them eight bytes at a time.
                while index + 8 <= count,
                    base.loadUnaligned(fromByteOffset: index, as: UInt64.self) & 0x8080_8080_8080_8080 == 0
                {
                    index += 8
                }
                guard index < count else { break }
                let byte = base.load(fromByteOffset: index, as: UInt8.self)
                index += 1
                switch byte {
                case 0x00...0x7F: continue
                case 0xC2...0xDF:
                    pending = 1
                    lower = 0x80
                    upper = 0xBF
                case 0xE0:
                    pending = 2
                    lower = 0xA0
                    upper = 0xBF
                case 0xE1...0xEC, 0xEE...0xEF:
                    pending = 2
                    lower = 0x80
                    upper = 0xBF
                case 0xED:
                    pending = 2
                    lower = 0x80
                    upper = 0x9F
                case 0xF0:
                    pending = 3
                    lower = 0x90
                    upper = 0xBF
                case 0xF1...0xF3:
                    pending = 3
                    lower = 0x80
                    upper = 0xBF
                case 0xF4:
                    pending = 3
                    lower = 0x80
                    upper = 0x8F
                default: return false
                }
            } else {
                let byte = base.load(fromByteOffset: index, as: UInt8.self)
                index += 1
                guard byte >= lower, byte <= upper else { return false }
                pending -= 1
                lower = 0x80
                upper = 0xBF
            }
        }
        return true
    }

    /// Whether `bytes` is a complete, valid UTF-8 text.
    public static func isValid(_ bytes: UnsafeRawBufferPointer) -> Bool {
        var validator = UTF8Validator()
        return validator.validate(bytes) && validator.isAtCharacterBoundary
    }

    public static func isValid(_ bytes: [UInt8]) -> Bool {
        bytes.withUnsafeBytes { isValid($0) }
    }
}
