/// Why a request could not be parsed, with the HTTP status to answer before closing.
public struct HTTPParseError: Error, Hashable, Sendable, CustomStringConvertible {
    /// 400, 413 or 431.
    public let status: Int
    public let reason: String

    public init(status: Int, reason: String) {
        self.status = status
        self.reason = reason
    }

    public static func malformed(_ reason: String) -> Self { .init(status: 400, reason: reason) }
    public static let headersTooLarge = HTTPParseError(status: 431, reason: "request header fields too large")
    public static let bodyTooLarge = HTTPParseError(status: 413, reason: "content too large")

    public var description: String { "\(status) \(reason)" }
}
