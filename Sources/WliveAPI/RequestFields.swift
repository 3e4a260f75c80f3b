import WliveCodec

/// The parameters of one API call, from the query string and the body, whatever the encoding.
///
/// The SDK posts `application/x-www-form-urlencoded` (seed 000); the same calls accept a JSON
/// object body and GET query parameters. Body fields win over query fields of the same name.
/// Every value is kept as text: JSON numbers become their decimal text, JSON arrays and objects
/// their JSON text (so `channel_ids` and `comment` read the same from a form or a JSON body).
public struct RequestFields: Sendable, Equatable {
    public private(set) var values: [String: String]

    public init(_ values: [String: String] = [:]) { self.values = values }

    public subscript(name: String) -> String? { values[name] }

    /// Why a body could not be read; answered with code -4.
    public struct DecodingError: Error, Equatable, Sendable {
        public var message: String
    }

    /// Collects the fields of `request`.
    public static func from(_ request: HTTPRequest) throws(DecodingError) -> RequestFields {
        var fields = RequestFields(parseURLEncoded(request.query))
        guard !request.body.isEmpty else { return fields }
        let contentType = request.value(of: "Content-Type")?.lowercased() ?? ""
        let body =
            try contentType.utf8.firstRange(of: "json".utf8) != nil
            || (contentType.isEmpty && request.body.first == UInt8(ascii: "{"))
            ? parseJSONObject(request.body)
            : parseURLEncoded(Substring(decoding: request.body, as: UTF8.self))
        if fields.values.isEmpty {
            fields.values = body
        } else {
            fields.values.merge(body) { _, fromBody in fromBody }
        }
        return fields
    }

    /// `a=1&b=x+y&c=%E7%9B%B4` → ["a": "1", "b": "x y", "c": "直"]. Malformed escapes are kept as written.
    /// Splits on the bytes `&` and `=`, never on characters: a combining mark after a delimiter
    /// makes one grapheme cluster with it, and must not hide it.
    public static func parseURLEncoded(_ text: Substring) -> [String: String] {
        var result: [String: String] = [:]
        for pair in text.utf8.split(separator: UInt8(ascii: "&"), omittingEmptySubsequences: true) {
            let parts = pair.split(separator: UInt8(ascii: "="), maxSplits: 1, omittingEmptySubsequences: false)
            let name = percentDecode(parts[0])
            guard !name.isEmpty else { continue }
            result[name] = parts.count > 1 ? percentDecode(parts[1]) : ""
        }
        return result
    }

    static func percentDecode(_ text: Substring.UTF8View.SubSequence) -> String {
        // Most fields have nothing to decode: copied as they are (a short one needs no allocation).
        if !text.contains(where: { $0 == UInt8(ascii: "+") || $0 == UInt8(ascii: "%") }) {
            return String(Substring(text))
        }
        var bytes: [UInt8] = []
        bytes.reserveCapacity(text.count)
        var iterator = text.makeIterator()
        while let byte = iterator.next() {
            switch byte {
            case UInt8(ascii: "+"):
                bytes.append(UInt8(ascii: " "))
            case UInt8(ascii: "%"):
                guard let high = iterator.next() else {
                    bytes.append(byte)
                    break
                }
                guard let low = iterator.next() else {
                    bytes += [byte, high]
                    break
                }
                if let h = HexDigit.value(high), let l = HexDigit.value(low) {
                    bytes.append(h << 4 | l)
                } else {
                    bytes += [byte, high, low]
                }
            default:
                bytes.append(byte)
            }
        }
        return String(decoding: bytes, as: UTF8.self)
    }

    /// A JSON object's members as text (see `JSONObjectFields`): nested objects such as
    /// `comment` keep their JSON text, so a form post and a JSON body read the same.
    static func parseJSONObject(_ body: [UInt8]) throws(DecodingError) -> [String: String] {
        do {
            return try JSONObjectFields.parse(body)
        } catch {
            throw DecodingError(message: "the body is not a JSON object")
        }
    }
}
