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
    private var headerBytes = 0
    private var body: [UInt8] = []
    private var completed: [HTTPRequest] = []
    private var limitError: HTTPParseError?
    /// True between the first byte of a request and its end.
    public private(set) var isInsideRequest = false
    /// True once an upgrade request was parsed: the parser takes no more bytes.
    public private(set) var isUpgraded = false

    public init(limits: Limits = Limits()) {
        self.limits = limits
        parser = .allocate(capacity: 1)
        http_parser_init(parser, HTTP_REQUEST)
    }

    deinit { parser.deallocate() }

    /// Parses the next bytes of the stream. Requests completed before an error are returned
    /// with it, so pipelined requests ahead of a bad one are still answered.
    public func parse(_ bytes: UnsafeRawBufferPointer) -> Output {
        precondition(!isUpgraded, "an upgraded stream is no longer HTTP")
        guard bytes.count > 0, let base = bytes.baseAddress else { return Output() }
        parser.pointee.data = Unmanaged.passUnretained(self).toOpaque()
        let parsed = http_parser_execute(parser, HTTPRequestParser.settings, base.assumingMemoryBound(to: CChar.self), bytes.count)
        parser.pointee.data = nil
        var output = Output()
        swap(&output.requests, &completed)
        let errno = http_errno(rawValue: parser.pointee.http_errno)
        if let limitError {
            output.error = limitError
        } else if errno == HPE_HEADER_OVERFLOW {
            output.error = .headersTooLarge
        } else if errno != HPE_OK {
            output.error = .malformed(String(cString: http_errno_description(errno)))
        } else if parser.pointee.upgrade == 1 {
            isUpgraded = true
            output.upgradeLeftover = Array(UnsafeRawBufferPointer(rebasing: bytes[parsed...]))
        }
        return output
    }

    // MARK: - Callbacks from http_parser

    private static func instance(_ parser: UnsafeMutablePointer<http_parser>?) -> HTTPRequestParser {
        Unmanaged<HTTPRequestParser>.fromOpaque(parser!.pointee.data!).takeUnretainedValue()
    }

    private func countHeaderBytes(_ length: Int) -> Int32 {
        headerBytes += length
        if headerBytes > limits.maxHeaderBytes {
            limitError = .headersTooLarge
            return 1
        }
        return 0
    }

    private func finishHeaderField() {
        if readingValue {
            headers.append((String(decoding: field, as: UTF8.self), String(decoding: value, as: UTF8.self).trimmingASCIIWhitespace().description))
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
            this.headerBytes = 0
            return 0
        }
        settings.pointee.on_url = { parser, data, length in
            let this = instance(parser)
            this.target.append(contentsOf: UnsafeRawBufferPointer(start: data, count: length))
            return this.countHeaderBytes(length)
        }
        settings.pointee.on_header_field = { parser, data, length in
            let this = instance(parser)
            this.finishHeaderField()
            this.field.append(contentsOf: UnsafeRawBufferPointer(start: data, count: length))
            return this.countHeaderBytes(length)
        }
        settings.pointee.on_header_value = { parser, data, length in
            let this = instance(parser)
            this.readingValue = true
            this.value.append(contentsOf: UnsafeRawBufferPointer(start: data, count: length))
            return this.countHeaderBytes(length)
        }
        settings.pointee.on_headers_complete = { parser in
            let this = instance(parser)
            this.finishHeaderField()
            if parser!.pointee.flags & UInt32(F_CONTENTLENGTH.rawValue) != 0,
               parser!.pointee.content_length > UInt64(this.limits.maxBodyBytes) {
                this.limitError = .bodyTooLarge
                return 3 // any value but 0, 1 and 2 stops the parser with an error
            }
            return 0
        }
        settings.pointee.on_body = { parser, data, length in
            let this = instance(parser)
            guard this.body.count + length <= this.limits.maxBodyBytes else {
                this.limitError = .bodyTooLarge
                return 1
            }
            this.body.append(contentsOf: UnsafeRawBufferPointer(start: data, count: length))
            return 0
        }
        settings.pointee.on_message_complete = { parser in
            let this = instance(parser)
            let p = parser!.pointee
            let method = String(cString: http_method_str(http_method(rawValue: p.method)))
            this.completed.append(HTTPRequest(
                method: method, target: String(decoding: this.target, as: UTF8.self),
                versionMajor: Int(p.http_major), versionMinor: Int(p.http_minor),
                headers: this.headers, body: this.body,
                keepAlive: http_should_keep_alive(parser) != 0, isUpgrade: p.upgrade == 1))
            this.isInsideRequest = false
            this.headers = []
            this.body = []
            return 0
        }
        return settings
    }()
}
