import CHTTPParser

/// One HTTP response: its status and body.
public struct HTTPAnswer: Sendable, Equatable {
    public var status: Int
    public var body: [UInt8]
}

/// An incremental HTTP/1.1 response parser over `http_parser`, for keep-alive and pipelined
/// posting: bytes go in as they arrive, complete answers come out in order. One per connection.
public final class HTTPResponseParser {
    private let parser: UnsafeMutablePointer<http_parser>
    private var body: [UInt8] = []
    private var completed: [HTTPAnswer] = []
    /// http_parser's description of the first error; the connection is then unusable.
    public private(set) var error: String?

    public init() {
        parser = .allocate(capacity: 1)
        http_parser_init(parser, HTTP_RESPONSE)
    }

    deinit { parser.deallocate() }

    /// Parses the next bytes and returns the answers they completed.
    public func parse(_ bytes: UnsafeRawBufferPointer) -> [HTTPAnswer] {
        guard error == nil, bytes.count > 0, let base = bytes.baseAddress else { return [] }
        parser.pointee.data = Unmanaged.passUnretained(self).toOpaque()
        http_parser_execute(parser, Self.settings, base.assumingMemoryBound(to: CChar.self), bytes.count)
        parser.pointee.data = nil
        let errno = http_errno(rawValue: parser.pointee.http_errno)
        if errno != HPE_OK { error = String(cString: http_errno_description(errno)) }
        var answers: [HTTPAnswer] = []
        swap(&answers, &completed)
        return answers
    }

    private static func instance(_ parser: UnsafeMutablePointer<http_parser>?) -> HTTPResponseParser {
        Unmanaged<HTTPResponseParser>.fromOpaque(parser!.pointee.data!).takeUnretainedValue()
    }

    // nonisolated(unsafe): written once by the lazy initialiser, then only read by http_parser.
    nonisolated(unsafe) private static let settings: UnsafeMutablePointer<http_parser_settings> = {
        let settings = UnsafeMutablePointer<http_parser_settings>.allocate(capacity: 1)
        settings.initialize(to: http_parser_settings())
        settings.pointee.on_message_begin = { parser in
            instance(parser).body.removeAll(keepingCapacity: true)
            return 0
        }
        settings.pointee.on_body = { parser, data, length in
            instance(parser).body.append(contentsOf: UnsafeRawBufferPointer(start: data, count: length))
            return 0
        }
        settings.pointee.on_message_complete = { parser in
            let this = instance(parser)
            this.completed.append(HTTPAnswer(status: Int(parser!.pointee.status_code), body: this.body))
            return 0
        }
        return settings
    }()
}

extension HTTPAnswer {
    /// The `code` of a Wlive `{code, message, ...}` envelope, found without a JSON parse (this
    /// runs once per post); nil when the body has none.
    private static let codeTag = Array("\"code\":".utf8)

    public var envelopeCode: Int? {
        body.withUnsafeBytes { body in
            guard let start = body.firstIndex(of: Self.codeTag) else { return nil }
            var offset = start + Self.codeTag.count
            while offset < body.count, body[offset] == UInt8(ascii: " ") { offset += 1 }
            var negative = false
            if offset < body.count, body[offset] == UInt8(ascii: "-") {
                negative = true
                offset += 1
            }
            var value = 0
            var digits = 0
            while offset < body.count, body[offset] &- UInt8(ascii: "0") < 10, digits < 9 {
                value = value * 10 + Int(body[offset] &- UInt8(ascii: "0"))
                offset += 1
                digits += 1
            }
            return digits > 0 ? (negative ? -value : value) : nil
        }
    }
}
