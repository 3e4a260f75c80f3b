import WliveCodec

/// What a request to the admin port asks for. `/metrics`, the health checks and the OpenAPI
/// document are open to the scraper and the load balancer; the operator page and its data need
/// `admin.token` when the port is reachable from other hosts.
public enum AdminRoute: Equatable, Sendable {
    case metrics
    case healthz
    case readyz
    case page
    case stats
    case room(String)
    case openAPI

    /// The route of `request`, or the response that refuses it (404, 405, 401).
    public static func resolve(_ request: HTTPRequest, token: String?) -> Result<AdminRoute, AdminRefusal> {
        let route: AdminRoute
        switch request.path {
        case "/metrics": route = .metrics
        case "/healthz": route = .healthz
        case "/readyz": route = .readyz
        case "/admin", "/admin/": route = .page
        case "/admin/stats": route = .stats
        case "/openapi.yaml": route = .openAPI
        case let path where path.hasPrefix("/admin/rooms/") && path.count > "/admin/rooms/".count:
            route = .room(String(path.dropFirst("/admin/rooms/".count)))
        default:
            return .failure(AdminRefusal(.error(404, "no admin route at \(request.path)")))
        }
        guard request.method == "GET" || request.method == "HEAD" else {
            return .failure(AdminRefusal(.error(405, "use GET", headers: [("Allow", "GET, HEAD")])))
        }
        if route.needsToken, let token, !token.isEmpty, !Self.presents(token, in: request) {
            return .failure(
                AdminRefusal(
                    .error(401, "the operator page needs admin.token", headers: [("WWW-Authenticate", "Bearer realm=\"wlive\"")]))
            )
        }
        return .success(route)
    }

    /// The operator page and its data; the scraper's and the load balancer's routes stay open.
    public var needsToken: Bool {
        switch self {
        case .page, .stats, .room: return true
        case .metrics, .healthz, .readyz, .openAPI: return false
        }
    }

    /// Whether the request carries the token, as `Authorization: Bearer` or `?token=` (the
    /// page passes the one it was opened with on to its data requests). Compared in constant time.
    static func presents(_ token: String, in request: HTTPRequest) -> Bool {
        var offered: [Substring] = []
        if let authorization = request.value(of: "Authorization"), authorization.lowercased().hasPrefix("bearer ") {
            offered.append(authorization.dropFirst("bearer ".count).trimmingASCIIWhitespace())
        }
        for pair in request.query.split(separator: "&") where pair.hasPrefix("token=") {
            offered.append(pair.dropFirst("token=".count))
        }
        return offered.contains { constantTimeEquals(Array($0.utf8), Array(token.utf8)) }
    }

    static func constantTimeEquals(_ a: [UInt8], _ b: [UInt8]) -> Bool {
        guard a.count == b.count else { return false }
        var difference: UInt8 = 0
        for (x, y) in zip(a, b) { difference |= x ^ y }
        return difference == 0
    }
}

/// A refused admin request and its answer.
public struct AdminRefusal: Error, Equatable, Sendable {
    public var response: HTTPResponse
    public init(_ response: HTTPResponse) { self.response = response }
}
