/// Reads one JSON object into its top-level members as text, in a single pass with no Foundation:
/// the API's request bodies and nested `comment` objects go through here on every post.
///
/// Strings are unescaped; numbers keep their decimal text (integral exponent forms such as `1e3`
/// become `1000`); `true`/`false` stay as words; `null` is empty; nested objects and arrays are
/// kept as their exact JSON text, so they can be passed on or read again. Duplicate names: the
/// last wins. Anything that is not one well-formed JSON object (RFC 8259) is an error.
public enum JSONObjectFields {
    public struct Malformed: Error, Equatable, Sendable {
        /// Byte offset where reading stopped.
        public var offset: Int
    }

    /// Nesting deeper than this is refused rather than risking the stack on hostile input.
    public static let maxDepth = 64

    /// What a member's value was, with its text as `parse` gives it.
    public struct Member: Sendable, Equatable {
        public enum Kind: Sendable, Equatable { case string, number, boolean, null, object, array }
        public var kind: Kind
        public var text: String
    }

    /// The members as text.
    public static func parse(_ bytes: [UInt8]) throws(Malformed) -> [String: String] {
        try members(bytes).mapValues(\.text)
    }

    /// The members with their kinds, for readers that must tell `"1"` from `1` or `true`.
    public static func members(_ bytes: [UInt8]) throws(Malformed) -> [String: Member] {
        try whole(bytes) { (reader: inout Reader) throws(Malformed) in try reader.object() }
    }

    /// The elements of one JSON array, with their kinds: `[1, "2", true]`.
    public static func elements(_ bytes: [UInt8]) throws(Malformed) -> [Member] {
        try whole(bytes) { (reader: inout Reader) throws(Malformed) in try reader.array() }
    }

    /// What `read` reads from `bytes`, which must hold nothing else but whitespace.
    private static func whole<T>(_ bytes: [UInt8], _ read: (inout Reader) throws(Malformed) -> T) throws(Malformed) -> T {
        try bytes.withUnsafeBufferPointer { buffer throws(Malformed) in
            var reader = Reader(bytes: buffer)
            let result = try read(&reader)
            reader.skipWhitespace()
            guard reader.offset == buffer.count else { throw Malformed(offset: reader.offset) }
            return result
        }
    }

    private struct Reader {
        let bytes: UnsafeBufferPointer<UInt8>
        var offset = 0

        mutating func skipWhitespace() {
            while offset < bytes.count,
                bytes[offset] == 0x20 || bytes[offset] == 0x0A || bytes[offset] == 0x0D || bytes[offset] == 0x09
            { offset += 1 }
        }

        func fail() -> Malformed { Malformed(offset: offset) }

        mutating func expect(_ byte: UInt8) throws(Malformed) {
            skipWhitespace()
            guard offset < bytes.count, bytes[offset] == byte else { throw fail() }
            offset += 1
        }

        /// A top-level object's members. (Nested ones go through `skipValue`, which bounds depth.)
        mutating func object() throws(Malformed) -> [String: Member] {
            var fields: [String: Member] = [:]
            try sequence(open: UInt8(ascii: "{"), close: UInt8(ascii: "}")) { (reader: inout Reader) throws(Malformed) in
                let name = try reader.memberName()
                fields[name] = try reader.value()
            }
            return fields
        }

        /// A top-level array's elements.
        mutating func array() throws(Malformed) -> [Member] {
            var elements: [Member] = []
            try sequence(open: UInt8(ascii: "["), close: UInt8(ascii: "]")) { (reader: inout Reader) throws(Malformed) in
                elements.append(try reader.value())
            }
            return elements
        }

        /// An object or array: `open`, then `element` for each member or element with commas
        /// between them, then `close`.
        mutating func sequence(open: UInt8, close: UInt8, _ element: (inout Reader) throws(Malformed) -> Void) throws(Malformed) {
            try expect(open)
            skipWhitespace()
            if offset < bytes.count, bytes[offset] == close {
                offset += 1
                return
            }
            while true {
                try element(&self)
                skipWhitespace()
                guard offset < bytes.count else { throw fail() }
                if bytes[offset] == UInt8(ascii: ",") {
                    offset += 1
                    continue
                }
                guard bytes[offset] == close else { throw fail() }
                offset += 1
                return
            }
        }

        /// A member's name and the colon after it.
        mutating func memberName() throws(Malformed) -> String {
            skipWhitespace()
            guard offset < bytes.count, bytes[offset] == UInt8(ascii: "\"") else { throw fail() }
            let name = try string()
            try expect(UInt8(ascii: ":"))
            return name
        }

        /// A member's value, with its text.
        mutating func value() throws(Malformed) -> Member {
            skipWhitespace()
            guard offset < bytes.count else { throw fail() }
            switch bytes[offset] {
            case UInt8(ascii: "\""): return Member(kind: .string, text: try string())
            case UInt8(ascii: "{"), UInt8(ascii: "["):
                let kind: Member.Kind = bytes[offset] == UInt8(ascii: "{") ? .object : .array
                let start = offset
                try skipValue(depth: 1)
                return Member(
                    kind: kind, text: String(decoding: UnsafeBufferPointer(rebasing: bytes[start..<offset]), as: UTF8.self))
            case UInt8(ascii: "t"):
                try word("true")
                return Member(kind: .boolean, text: "true")
            case UInt8(ascii: "f"):
                try word("false")
                return Member(kind: .boolean, text: "false")
            case UInt8(ascii: "n"):
                try word("null")
                return Member(kind: .null, text: "")
            default: return Member(kind: .number, text: try number())
            }
        }

        mutating func word(_ text: StaticString) throws(Malformed) {
            let count = text.utf8CodeUnitCount
            guard offset + count <= bytes.count else { throw fail() }
            for index in 0..<count where bytes[offset + index] != text.utf8Start[index] { throw fail() }
            offset += count
        }

        mutating func number() throws(Malformed) -> String {
            let start = offset
            var integral = true
            if offset < bytes.count, bytes[offset] == UInt8(ascii: "-") { offset += 1 }
            let integerStart = offset
            let integerDigits = try digits()
            // RFC 8259: at least one digit, and no leading zero.
            guard integerDigits > 0, integerDigits == 1 || bytes[integerStart] != UInt8(ascii: "0") else { throw fail() }
            if offset < bytes.count, bytes[offset] == UInt8(ascii: ".") {
                offset += 1
                integral = false
                guard try digits() > 0 else { throw fail() }
            }
            if offset < bytes.count, bytes[offset] | 0x20 == UInt8(ascii: "e") {
                offset += 1
                integral = false
                if offset < bytes.count, bytes[offset] == UInt8(ascii: "+") || bytes[offset] == UInt8(ascii: "-") { offset += 1 }
                guard try digits() > 0 else { throw fail() }
            }
            let text = String(decoding: UnsafeBufferPointer(rebasing: bytes[start..<offset]), as: UTF8.self)
            // 1.0 and 1e3 read as the integers they are, as a JSON library's number would.
            if !integral, let value = Double(text), value.rounded() == value, abs(value) < 9e15 { return String(Int64(value)) }
            return text
        }

        mutating func digits() throws(Malformed) -> Int {
            let start = offset
            while offset < bytes.count, bytes[offset] &- UInt8(ascii: "0") < 10 { offset += 1 }
            return offset - start
        }

        /// A string at `offset` (on its opening quote), unescaped.
        mutating func string() throws(Malformed) -> String {
            offset += 1
            let start = offset
            // Fast path: no escapes.
            while offset < bytes.count, bytes[offset] != UInt8(ascii: "\""), bytes[offset] != UInt8(ascii: "\\") {
                guard bytes[offset] >= 0x20 else { throw fail() }
                offset += 1
            }
            guard offset < bytes.count else { throw fail() }
            if bytes[offset] == UInt8(ascii: "\"") {
                defer { offset += 1 }
                return try validated(UnsafeBufferPointer(rebasing: bytes[start..<offset]))
            }
            var text = Array(bytes[start..<offset])
            while true {
                guard offset < bytes.count else { throw fail() }
                let byte = bytes[offset]
                offset += 1
                switch byte {
                case UInt8(ascii: "\""):
                    return try text.withUnsafeBufferPointer { buffer throws(Malformed) in try validated(buffer) }
                case UInt8(ascii: "\\"): try escape(into: &text)
                case 0..<0x20: throw fail()
                default: text.append(byte)
                }
            }
        }

        /// The bytes as a string, refusing invalid UTF-8 (`String(validating:)` is generic and
        /// was the slowest step of a handshake; the codec's validator and a plain decode are not).
        func validated(_ buffer: UnsafeBufferPointer<UInt8>) throws(Malformed) -> String {
            guard UTF8Validator.isValid(UnsafeRawBufferPointer(buffer)) else { throw fail() }
            return String(decoding: buffer, as: UTF8.self)
        }

        mutating func escape(into text: inout [UInt8]) throws(Malformed) {
            guard offset < bytes.count else { throw fail() }
            let byte = bytes[offset]
            offset += 1
            switch byte {
            case UInt8(ascii: "\""), UInt8(ascii: "\\"), UInt8(ascii: "/"): text.append(byte)
            case UInt8(ascii: "b"): text.append(0x08)
            case UInt8(ascii: "f"): text.append(0x0C)
            case UInt8(ascii: "n"): text.append(0x0A)
            case UInt8(ascii: "r"): text.append(0x0D)
            case UInt8(ascii: "t"): text.append(0x09)
            case UInt8(ascii: "u"):
                var scalar = try hex4()
                if (0xD800..<0xDC00).contains(scalar) {
                    // A high surrogate must be followed by an escaped low one.
                    guard offset + 1 < bytes.count, bytes[offset] == UInt8(ascii: "\\"), bytes[offset + 1] == UInt8(ascii: "u")
                    else { throw fail() }
                    offset += 2
                    let low = try hex4()
                    guard (0xDC00..<0xE000).contains(low) else { throw fail() }
                    scalar = 0x10000 + ((scalar - 0xD800) << 10) + (low - 0xDC00)
                } else if (0xDC00..<0xE000).contains(scalar) {
                    throw fail()
                }
                UTF8.encode(Unicode.Scalar(scalar)!) { text.append($0) }
            default: throw fail()
            }
        }

        mutating func hex4() throws(Malformed) -> UInt32 {
            guard offset + 4 <= bytes.count else { throw fail() }
            var value: UInt32 = 0
            for _ in 0..<4 {
                guard let digit = HexDigit.value(bytes[offset]) else { throw fail() }
                value = value << 4 | UInt32(digit)
                offset += 1
            }
            return value
        }

        /// Skips any value, checking it is well formed.
        mutating func skipValue(depth: Int) throws(Malformed) {
            guard depth <= JSONObjectFields.maxDepth else { throw fail() }
            skipWhitespace()
            guard offset < bytes.count else { throw fail() }
            switch bytes[offset] {
            case UInt8(ascii: "\""): _ = try string()
            case UInt8(ascii: "{"):
                try sequence(open: UInt8(ascii: "{"), close: UInt8(ascii: "}")) { (reader: inout Reader) throws(Malformed) in
                    _ = try reader.memberName()
                    try reader.skipValue(depth: depth + 1)
                }
            case UInt8(ascii: "["):
                try sequence(open: UInt8(ascii: "["), close: UInt8(ascii: "]")) { (reader: inout Reader) throws(Malformed) in
                    try reader.skipValue(depth: depth + 1)
                }
            default: _ = try value()
            }
        }
    }
}
