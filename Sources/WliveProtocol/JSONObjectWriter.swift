/// Writes one JSON object, field by field, straight into UTF-8 bytes.
///
/// Server messages are built on the publish path, once per comment; a writer with fixed field
/// order is several times cheaper than a general encoder and makes the wire format exact.
public struct JSONObjectWriter: Sendable {
    public private(set) var bytes: [UInt8]
    private var isFirst = true

    public init(reservingCapacity capacity: Int = 128) {
        bytes = []
        bytes.reserveCapacity(capacity)
        bytes.append(UInt8(ascii: "{"))
    }

    private mutating func key(_ name: StaticString) {
        if !isFirst { bytes.append(UInt8(ascii: ",")) }
        isFirst = false
        bytes.append(UInt8(ascii: "\""))
        name.withUTF8Buffer { bytes.append(contentsOf: $0) }
        bytes.append(UInt8(ascii: "\""))
        bytes.append(UInt8(ascii: ":"))
    }

    public mutating func field(_ name: StaticString, _ value: String) {
        key(name)
        Self.appendQuoted(value, to: &bytes)
    }

    public mutating func field(_ name: StaticString, _ value: some BinaryInteger) {
        key(name)
        bytes.append(contentsOf: String(value).utf8)
    }

    public mutating func field(_ name: StaticString, _ value: Bool) {
        key(name)
        bytes.append(contentsOf: (value ? "true" : "false").utf8)
    }

    /// A field whose value is already JSON (an object or array written elsewhere).
    public mutating func field(_ name: StaticString, rawJSON: [UInt8]) {
        key(name)
        bytes.append(contentsOf: rawJSON)
    }

    /// Closes the object and returns its bytes.
    public consuming func finish() -> [UInt8] {
        bytes.append(UInt8(ascii: "}"))
        return bytes
    }

    private static let hexDigits: [UInt8] = Array("0123456789abcdef".utf8)

    /// Appends `value` as a JSON string: quotes, backslash, control characters and the two
    /// JavaScript line separators escaped.
    public static func appendQuoted(_ value: String, to bytes: inout [UInt8]) {
        bytes.append(UInt8(ascii: "\""))
        var utf8 = value.utf8.makeIterator()
        var pendingE2: [UInt8] = []
        while let byte = utf8.next() {
            if !pendingE2.isEmpty {
                pendingE2.append(byte)
                if pendingE2.count == 3 {
                    if pendingE2[1] == 0x80, pendingE2[2] == 0xA8 || pendingE2[2] == 0xA9 {
                        bytes.append(contentsOf: (pendingE2[2] == 0xA8 ? "\\u2028" : "\\u2029").utf8)
                    } else {
                        bytes.append(contentsOf: pendingE2)
                    }
                    pendingE2.removeAll(keepingCapacity: true)
                }
                continue
            }
            switch byte {
            case UInt8(ascii: "\""): bytes.append(contentsOf: [0x5C, 0x22])
            case UInt8(ascii: "\\"): bytes.append(contentsOf: [0x5C, 0x5C])
            case 0x0A: bytes.append(contentsOf: [0x5C, UInt8(ascii: "n")])
            case 0x0D: bytes.append(contentsOf: [0x5C, UInt8(ascii: "r")])
            case 0x09: bytes.append(contentsOf: [0x5C, UInt8(ascii: "t")])
            case 0x00..<0x20:
                bytes.append(contentsOf: Array("\\u00".utf8))
                bytes.append(hexDigits[Int(byte >> 4)])
                bytes.append(hexDigits[Int(byte & 0xF)])
            case 0xE2: pendingE2.append(byte)
            default: bytes.append(byte)
            }
        }
        bytes.append(contentsOf: pendingE2)
        bytes.append(UInt8(ascii: "\""))
    }
}

extension JSONObjectWriter {
    /// A JSON array of already encoded values.
    public static func array(_ elements: [[UInt8]]) -> [UInt8] {
        var bytes: [UInt8] = [UInt8(ascii: "[")]
        for (index, element) in elements.enumerated() {
            if index > 0 { bytes.append(UInt8(ascii: ",")) }
            bytes.append(contentsOf: element)
        }
        bytes.append(UInt8(ascii: "]"))
        return bytes
    }

    /// A JSON string literal.
    public static func quoted(_ value: String) -> [UInt8] {
        var bytes: [UInt8] = []
        appendQuoted(value, to: &bytes)
        return bytes
    }
}
