/// An HTTP/1.1 response, encoded into bytes with `encoded()`.
public struct HTTPResponse: Sendable, Equatable {
    public var status: Int
    public var headers: [(name: String, value: String)]
    public var body: [UInt8]

    public init(status: Int, headers: [(name: String, value: String)] = [], body: [UInt8] = []) {
        self.status = status
        self.headers = headers
        self.body = body
    }

    public static func == (lhs: HTTPResponse, rhs: HTTPResponse) -> Bool {
        lhs.status == rhs.status && lhs.body == rhs.body
            && lhs.headers.map(\.name) == rhs.headers.map(\.name) && lhs.headers.map(\.value) == rhs.headers.map(\.value)
    }

    /// A plain-text error response that also asks to close the connection.
    public static func error(_ status: Int, _ message: String, headers extra: [(name: String, value: String)] = [])
        -> HTTPResponse
    {
        HTTPResponse(
            status: status,
            headers: extra + [("Content-Type", "text/plain; charset=utf-8"), ("Connection", "close")],
            body: Array((message + "\n").utf8))
    }

    /// Whether the response says `Connection: close`: the connection ends once it is written.
    public var closesConnection: Bool {
        headers.contains { $0.name.caseInsensitiveEquals("Connection") && $0.value.caseInsensitiveEquals("close") }
    }

    /// The status line, the headers, `Content-Length` (unless it is a 101), and the body.
    public func encoded() -> [UInt8] {
        var head = "HTTP/1.1 \(status) \(Self.reasonPhrase(status))\r\n"
        for (name, value) in headers { head += "\(name): \(value)\r\n" }
        if status != 101, status != 204, !headers.contains(where: { $0.name.caseInsensitiveEquals("Content-Length") }) {
            head += "Content-Length: \(body.count)\r\n"
        }
        head += "\r\n"
        return Array(head.utf8) + body
    }

    /// The standard reason phrase of the statuses this server sends.
    public static func reasonPhrase(_ status: Int) -> String {
        switch status {
        case 101: return "Switching Protocols"
        case 200: return "OK"
        case 204: return "No Content"
        case 400: return "Bad Request"
        case 403: return "Forbidden"
        case 404: return "Not Found"
        case 405: return "Method Not Allowed"
        case 408: return "Request Timeout"
        case 413: return "Content Too Large"
        case 426: return "Upgrade Required"
        case 431: return "Request Header Fields Too Large"
        case 500: return "Internal Server Error"
        case 503: return "Service Unavailable"
        default: return "Status \(status)"
        }
    }
}
