/// One parsed HTTP/1.x request: the head and, where there was one, the body.
public struct HTTPRequest: Sendable, Equatable {
    public var method: String
    /// The request target as sent: path and optional query.
    public var target: String
    public var versionMajor: Int
    public var versionMinor: Int
    /// Header fields in arrival order, names as sent.
    public var headers: [(name: String, value: String)]
    public var body: [UInt8]
    /// The parser's verdict on persistence: false after `Connection: close` or an HTTP/1.0 request without keep-alive.
    public var keepAlive: Bool
    /// Set when the request asked to switch protocols (`Connection: upgrade` with an `Upgrade` header).
    public var isUpgrade: Bool

    public init(
        method: String, target: String, versionMajor: Int = 1, versionMinor: Int = 1,
        headers: [(name: String, value: String)] = [], body: [UInt8] = [], keepAlive: Bool = true, isUpgrade: Bool = false
    ) {
        self.method = method
        self.target = target
        self.versionMajor = versionMajor
        self.versionMinor = versionMinor
        self.headers = headers
        self.body = body
        self.keepAlive = keepAlive
        self.isUpgrade = isUpgrade
    }

    public static func == (lhs: HTTPRequest, rhs: HTTPRequest) -> Bool {
        lhs.method == rhs.method && lhs.target == rhs.target && lhs.versionMajor == rhs.versionMajor
            && lhs.versionMinor == rhs.versionMinor && lhs.body == rhs.body && lhs.keepAlive == rhs.keepAlive
            && lhs.isUpgrade == rhs.isUpgrade
            && lhs.headers.map(\.name) == rhs.headers.map(\.name) && lhs.headers.map(\.value) == rhs.headers.map(\.value)
    }

    /// The target's path, without the query.
    public var path: Substring {
        queryMark.map { Substring(target.utf8[..<$0]) } ?? target[...]
    }

    /// The target's query string, without the `?`; empty when there is none.
    public var query: Substring {
        queryMark.map { Substring(target.utf8[target.utf8.index(after: $0)...]) } ?? ""
    }

    /// The first `?` byte: by bytes, not characters, so a combining mark after it cannot hide it.
    private var queryMark: String.Index? { target.utf8.firstIndex(of: UInt8(ascii: "?")) }

    /// The values of every header named `name` (case-insensitive).
    public func values(of name: String) -> [String] {
        headers.filter { $0.name.caseInsensitiveEquals(name) }.map(\.value)
    }

    /// The first value of the header named `name` (case-insensitive).
    public func value(of name: String) -> String? {
        headers.first { $0.name.caseInsensitiveEquals(name) }?.value
    }

    /// The comma-separated tokens of every `name` header, trimmed and lowercased.
    public func tokens(of name: String) -> [String] {
        values(of: name).flatMap { $0.split(separator: ",") }.map { $0.trimmingASCIIWhitespace().lowercased() }
    }
}

extension StringProtocol {
    /// ASCII case-insensitive comparison, as HTTP field names and tokens need.
    public func caseInsensitiveEquals(_ other: some StringProtocol) -> Bool {
        guard utf8.count == other.utf8.count else { return false }
        return zip(utf8, other.utf8).allSatisfy { a, b in
            a == b || (a | 0x20 == b | 0x20 && (a | 0x20) >= 0x61 && (a | 0x20) <= 0x7A)
        }
    }

    /// The string with leading and trailing spaces and tabs removed.
    public func trimmingASCIIWhitespace() -> Substring {
        var slice = Substring(self)
        while let first = slice.first, first == " " || first == "\t" { slice.removeFirst() }
        while let last = slice.last, last == " " || last == "\t" { slice.removeLast() }
        return slice
    }
}
