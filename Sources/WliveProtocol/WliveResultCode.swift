import WliveCodec

/// The `code` of every Wlive envelope: the table of seed 000 ("返回数据及状态码说明").
public struct WliveResultCode: RawRepresentable, Hashable, Sendable, Error, CustomStringConvertible {
    public let rawValue: Int
    public init(rawValue: Int) { self.rawValue = rawValue }

    /// 0 成功
    public static let success = WliveResultCode(rawValue: 0)
    /// -1 失败，未分类错误
    public static let failure = WliveResultCode(rawValue: -1)
    /// -2 未登录
    public static let notLoggedIn = WliveResultCode(rawValue: -2)
    /// -3 未定义 source
    public static let unknownSource = WliveResultCode(rawValue: -3)
    /// -4 参数错误（一些必填参数为空）
    public static let invalidParameter = WliveResultCode(rawValue: -4)
    /// 100 服务端调用异常
    public static let internalError = WliveResultCode(rawValue: 100)
    /// 1 未找到 channel
    public static let channelNotFound = WliveResultCode(rawValue: 1)
    /// 2 channel 已经关闭
    public static let channelClosed = WliveResultCode(rawValue: 2)
    /// 22 用户没有权限执行相关操作
    public static let permissionDenied = WliveResultCode(rawValue: 22)
    /// 303 信质拦截，操作失败
    public static let contentRejected = WliveResultCode(rawValue: 303)

    /// The default `message` for the code.
    public var defaultMessage: String {
        switch self {
        case .success: return "success"
        case .notLoggedIn: return "not logged in"
        case .unknownSource: return "unknown source"
        case .invalidParameter: return "invalid parameter"
        case .internalError: return "internal server error"
        case .channelNotFound: return "channel not found"
        case .channelClosed: return "channel closed"
        case .permissionDenied: return "permission denied"
        case .contentRejected: return "content rejected"
        default: return "failure"
        }
    }

    /// The WebSocket close code that follows a failed handshake answered with this code.
    public var closeCode: WebSocketCloseCode {
        switch self {
        case .invalidParameter: return .wliveBadHandshake
        case .notLoggedIn: return .wliveNotLoggedIn
        case .unknownSource: return .wliveUnknownSource
        case .channelNotFound: return .wliveChannelNotFound
        case .channelClosed: return .wliveChannelClosed
        case .permissionDenied: return .policyViolation
        default: return .wliveInternalError
        }
    }

    public var description: String { String(rawValue) }
}
