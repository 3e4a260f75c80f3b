// libFuzzer target: the API's request fields (RequestFields.parseURLEncoded and
// RequestFields.from(HTTPRequest)) with form, JSON, plain and missing content types.
//
// Input layout: byte 0 picks the Content-Type (see `contentTypes`); the rest, up to the first
// newline, is the query string, and what follows it is the body.
//
// Checks: names are never empty; fields percent-encoded again read the same; text without `%`
// and `+` splits plainly; `from` merges query and body fields with the body winning and refuses
// exactly the JSON bodies JSONObjectFields refuses. Violations trap.
import CLibFuzzer
import WliveAPI
import WliveCodec

private let contentTypes: [String?] = [
    "application/x-www-form-urlencoded", "application/json", nil, "text/plain",
    "application/x-www-form-urlencoded; charset=UTF-8", "Application/JSON; charset=utf-8", "", "application/problem+json",
]

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzz(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    let input = UnsafeBufferPointer(start: data, count: size)
    guard size >= 1 else { return 0 }
    let rest = Array(input[1...])

    // The whole input as one form body.
    let text = Substring(decoding: rest, as: UTF8.self)
    let form = RequestFields.parseURLEncoded(text)
    checkForm(form, from: text)

    // A request: query up to the first newline, the body after it.
    let newline = rest.firstIndex(of: 0x0A)
    let query = newline.map { Array(rest[..<$0]) } ?? []
    let body = newline.map { Array(rest[($0 + 1)...]) } ?? rest
    let contentType = contentTypes[Int(input[0] & 7)]
    let target = "/live/sendComment?" + String(decoding: query, as: UTF8.self)
    var headers: [(name: String, value: String)] = [("Host", "localhost")]
    if let contentType { headers.append((input[0] & 8 == 0 ? "Content-Type" : "content-type", contentType)) }
    let request = HTTPRequest(method: input[0] & 16 == 0 ? "POST" : "GET", target: target, headers: headers, body: body)

    let queryFields = RequestFields.parseURLEncoded(request.query)
    checkForm(queryFields, from: request.query)
    let lowered = (contentType ?? "").lowercased()
    let isJSON = lowered.contains("json") || (lowered.isEmpty && body.first == UInt8(ascii: "{"))
    var expected = queryFields
    var refused = false
    if !body.isEmpty {
        if isJSON {
            if let object = try? JSONObjectFields.parse(body) { expected.merge(object) { _, new in new } } else { refused = true }
        } else {
            let bodyText = Substring(decoding: body, as: UTF8.self)
            let bodyFields = RequestFields.parseURLEncoded(bodyText)
            checkForm(bodyFields, from: bodyText)
            expected.merge(bodyFields) { _, new in new }
        }
    }
    do {
        let fields = try RequestFields.from(request)
        precondition(!refused, "a malformed JSON body was accepted")
        precondition(fields.values == expected, "query and body fields merged wrongly")
        for (name, value) in expected { precondition(fields[name] == value) }
        // sendComment reads `comment` as a JSON object, whether it came as JSON text in a form or as an object.
        if let comment = fields["comment"], let object = try? JSONObjectFields.members(Array(comment.utf8)) {
            precondition(object.values.allSatisfy { $0.kind != .object || $0.text.first == "{" })
        }
    } catch {
        precondition(refused, "a request was refused: \(error.message)")
        precondition(!error.message.isEmpty)
    }
    return 0
}

/// Checks one parseURLEncoded result against the text it came from.
func checkForm(_ fields: [String: String], from text: Substring) {
    precondition(fields.keys.allSatisfy { !$0.isEmpty }, "an empty field name")
    // Percent-encoded again, every field reads back the same.
    let encoded = fields.map { percentEncode($0.key) + "=" + percentEncode($0.value) }.joined(separator: "&")
    precondition(RequestFields.parseURLEncoded(encoded[...]) == fields, "fields encoded again read differently")
    // Without escapes, fields are the plain split on the bytes `&` and `=` (never on characters:
    // a combining mark after a delimiter must not hide it), the last of a name winning.
    if !text.utf8.contains(UInt8(ascii: "%")), !text.utf8.contains(UInt8(ascii: "+")) {
        var plain: [String: String] = [:]
        for pair in Array(text.utf8).split(separator: UInt8(ascii: "&")) {
            let name = pair.prefix { $0 != UInt8(ascii: "=") }
            guard !name.isEmpty else { continue }
            plain[String(decoding: name, as: UTF8.self)] = String(decoding: pair.dropFirst(name.count + 1), as: UTF8.self)
        }
        precondition(plain == fields, "plain form text split differently")
    }
}

/// Every byte but the unreserved ones as %XX.
func percentEncode(_ text: String) -> String {
    let hex = Array("0123456789ABCDEF".utf8)
    var bytes: [UInt8] = []
    for byte in text.utf8 {
        switch byte {
        case UInt8(ascii: "a")...UInt8(ascii: "z"), UInt8(ascii: "A")...UInt8(ascii: "Z"), UInt8(ascii: "0")...UInt8(ascii: "9"),
            UInt8(ascii: "-"), UInt8(ascii: "."), UInt8(ascii: "_"), UInt8(ascii: "~"):
            bytes.append(byte)
        default:
            bytes += [UInt8(ascii: "%"), hex[Int(byte >> 4)], hex[Int(byte & 15)]]
        }
    }
    return String(decoding: bytes, as: UTF8.self)
}

// MARK: - Entry point

/// On Linux SwiftPM links every executable with `--defsym main=FuzzForm_main` (its renaming for
/// testable executables), and `-parse-as-library` emits no such symbol: it is defined here and
/// does exactly what libFuzzer's own `main` does.
@_cdecl("FuzzForm_main")
public func fuzzerMain(_ argc: CInt, _ argv: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?) -> CInt {
    var argc = argc
    var argv = argv
    return LLVMFuzzerRunDriver(&argc, &argv) { data, size in data.map { fuzz($0, size) } ?? 0 }
}
