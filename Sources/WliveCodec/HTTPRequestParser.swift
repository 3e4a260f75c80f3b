import CHTTPParser

/// An incremental HTTP/1.x request parser over the C `http_parser` library, with size limits.
///
/// Bytes go in as they arrive; complete requests come out in order, so keep-alive and pipelined
/// requests need nothing more. Chunked bodies are de-chunked by `http_parser`. After a request
/// asking to switch protocols, parsing stops and the bytes that followed it are handed back.
/// Pure: no I/O, one instance per connection, used on one thread.
public final class HTTPRequestParser {
    /// Limits that turn an oversize request into a 431 or 413 rather than unbounded memory.
    public struct Limits: Sendable, Equatable {
        /// Request line plus header fields, in bytes.
        public var maxHeaderBytes: Int
        /// Body bytes after de-chunking.
        public var maxBodyBytes: Int

        public init(maxHeaderBytes: Int = 16 * 1024, maxBodyBytes: Int = 64 * 1024) {
            self.maxHeaderBytes = maxHeaderBytes
            self.maxBodyBytes = maxBodyBytes
        }
    }

    /// What one call to `parse` produced.
    public struct Output: Sendable, Equatable {
        public var requests: [HTTPRequest] = []
        /// Non-nil once an upgrade request was parsed: the bytes that came after it.
        public var upgradeLeftover: [UInt8]?
        /// Set when the stream broke the rules after `requests`; answer it and close.
        public var error: HTTPParseError?

        /// The requests, or the error when there is one.
        public func get() throws(HTTPParseError) -> [HTTPRequest] {
            if let error { throw error }
            return requests
        }
    }

    public let limits: Limits
    private let parser: UnsafeMutablePointer<http_parser>
    private var target: [UInt8] = []
    private var headers: [(name: String, value: String)] = []
    private var field: [UInt8] = []
    private var value: [UInt8] = []
    private var readingValue = false
    private var body: [UInt8] = []
    private var completed: [HTTPRequest] = []
    private var limitError: HTTPParseError?
    /// Where `http_parser` paused: the callbacks pause it at the end of each head and each
    /// request, so that `parse` sees every boundary and can count the head's bytes and stop
    /// after an upgrade.
    private var pause = PausePoint.none
    /// Bytes of the current head so far: request line, fields, whitespace and line ends.
    private var headBytes = 0
    /// True between the end of a head and the end of its request (the body, if any).
    private var readingBody = false
    /// True between the first byte of a request and its end.
    public private(set) var isInsideRequest = false
    /// True once an upgrade request was parsed completely: the parser takes no more bytes.
    public private(set) var isUpgraded = false

    private enum PausePoint { case none, headComplete, requestComplete }

    public init(limits: Limits = Limits()) {
        self.limits = limits
        parser = .allocate(capacity: 1)
        http_parser_init(parser, HTTP_REQUEST)
    }

    deinit { parser.deallocate() }

    /// Parses the next bytes of the stream. Requests completed before an error are returned
    /// with it, so pipelined requests ahead of a bad one are still answered.
    public func parse(_ bytes: UnsafeRawBufferPointer) -> Output {
        var output = Output()
        // Nothing reaches a trap from the network: an upgraded stream only hands bytes back.
        guard !isUpgraded else {
            output.upgradeLeftover = Array(bytes)
            return output
        }
        // Once broken, the stream stays broken: the connection answers the error and closes.
        if let error = error() {
            output.error = error
            return output
        }
        guard bytes.count > 0, let base = bytes.baseAddress else { return output }
        parser.pointee.data = Unmanaged.passUnretained(self).toOpaque()
        defer { parser.pointee.data = nil }
        var offset = 0
        while offset < bytes.count, output.error == nil {
            pause = .none
            let parsed = http_parser_execute(
                parser, Self.settings, (base + offset).assumingMemoryBound(to: CChar.self), bytes.count - offset)
            offset += parsed
            if !readingBody {
                // The whole head counts, padding and line ends included, not only names and values.
                headBytes += parsed
                if headBytes > limits.maxHeaderBytes { fail(.headersTooLarge) }
            }
            switch pause {
            case .none:
                // Without a pause, http_parser took every byte or stopped on an error.
                if error() == nil, offset < bytes.count { fail(.malformed("the parser stopped early")) }
            case .headComplete:
                http_parser_pause(parser, 0)
                readingBody = true
                if parser.pointee.upgrade == 1, hasBody {
                    // The bytes after an upgrade's head belong to the new protocol, never to a body.
                    fail(.malformed("an upgrade request must not carry a body"))
                }
            case .requestComplete:
                http_parser_pause(parser, 0)
                readingBody = false
                headBytes = 0
                if let request = completed.last, request.isUpgrade {
                    isUpgraded = true
                    output.upgradeLeftover = Array(UnsafeRawBufferPointer(rebasing: bytes[offset...]))
                    offset = bytes.count
                }
            }
            output.error = error()
        }
        swap(&output.requests, &completed)
        return output
    }

    /// Whether the request whose head just ended announced a body.
    private var hasBody: Bool {
        let flags = parser.pointee.flags
        let length = parser.pointee.content_length
        return flags & UInt32(F_CHUNKED.rawValue) != 0 || (length > 0 && length != UInt64.max)
    }

    /// Records an error the parser itself cannot see. The first one stands, except that an
    /// oversize head replaces any other: a stream split into small reads finds it before
    /// anything later in the head goes wrong, so a whole read must answer the same 431.
    private func fail(_ error: HTTPParseError) {
        if limitError == nil || error == .headersTooLarge { limitError = error }
    }

    /// The error `http_parser` stopped on, if any.
    private func error() -> HTTPParseError? {
        if let limitError { return limitError }
        let errno = http_errno(rawValue: parser.pointee.http_errno)
        if errno == HPE_OK { return nil }
        if errno == HPE_HEADER_OVERFLOW { return .headersTooLarge }
        return .malformed(String(cString: http_errno_description(errno)))
    }

    // MARK: - Callbacks from http_parser

    private static func instance(_ parser: UnsafeMutablePointer<http_parser>?) -> HTTPRequestParser {
        Unmanaged<HTTPRequestParser>.fromOpaque(parser!.pointee.data!).takeUnretainedValue()
    }

    private func finishHeaderField() {
        if readingValue {
            headers.append(
                (
                    String(decoding: field, as: UTF8.self),
                    String(decoding: value, as: UTF8.self).trimmingASCIIWhitespace().description
                ))
            field.removeAll(keepingCapacity: true)
            value.removeAll(keepingCapacity: true)
            readingValue = false
        }
    }

    // nonisolated(unsafe): written once by the lazy initialiser, then only read by http_parser.
    nonisolated(unsafe) private static let settings: UnsafeMutablePointer<http_parser_settings> = {
        let settings = UnsafeMutablePointer<http_parser_settings>.allocate(capacity: 1)
        settings.initialize(to: http_parser_settings())
        settings.pointee.on_message_begin = { parser in
            let this = instance(parser)
            this.isInsideRequest = true
            this.target = []
            this.headers = []
            this.body = []
            return 0
        }
        settings.pointee.on_url = { parser, data, length in
            let this = instance(parser)
            this.target.append(contentsOf: UnsafeRawBufferPointer(start: data, count: length))
            return 0
        }
        settings.pointee.on_header_field = { parser, data, length in
            let this = instance(parser)
            this.finishHeaderField()
            this.field.append(contentsOf: UnsafeRawBufferPointer(start: data, count: length))
            return 0
        }
        settings.pointee.on_header_value = { parser, data, length in
            let this = instance(parser)
            this.readingValue = true
            this.value.append(contentsOf: UnsafeRawBufferPointer(start: data, count: length))
            return 0
        }
        settings.pointee.on_headers_complete = { parser in
            let this = instance(parser)
            this.finishHeaderField()
            if parser!.pointee.flags & UInt32(F_CONTENTLENGTH.rawValue) != 0,
                parser!.pointee.content_length > UInt64(this.limits.maxBodyBytes)
            {
                this.fail(.bodyTooLarge)
                return 3  // any value but 0, 1 and 2 stops the parser with an error
            }
            this.pause = .headComplete
            http_parser_pause(parser, 1)
            return 0
        }
        settings.pointee.on_body = { parser, data, length in
            let this = instance(parser)
            guard this.body.count + length <= this.limits.maxBodyBytes else {
                this.fail(.bodyTooLarge)
                return 1
            }
            this.body.append(contentsOf: UnsafeRawBufferPointer(start: data, count: length))
            return 0
        }
        settings.pointee.on_message_complete = { parser in
            let this = instance(parser)
            let p = parser!.pointee
            let method = String(cString: http_method_str(http_method(rawValue: p.method)))
            this.completed.append(
                HTTPRequest(
                    method: method, target: String(decoding: this.target, as: UTF8.self),
                    versionMajor: Int(p.http_major), versionMinor: Int(p.http_minor),
                    headers: this.headers, body: this.body,
                    keepAlive: http_should_keep_alive(parser) != 0, isUpgrade: p.upgrade == 1))
            this.isInsideRequest = false
            this.headers = []
            this.body = []
            this.pause = .requestComplete
            http_parser_pause(parser, 1)
            return 0
        }
        return settings
    }()
}
