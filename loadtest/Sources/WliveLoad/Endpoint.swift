import Foundation

/// Where a URL points: host, port and the path with its query, for `ws://` and `http://` only.
public struct Endpoint: Sendable, Equatable {
    public var host: String
    public var port: Int
    /// Path and query, starting with `/`.
    public var target: String

    public init(host: String, port: Int, target: String) {
        self.host = host
        self.port = port
        self.target = target
    }

    /// Parses `ws://127.0.0.1:8080/ws` or `http://127.0.0.1:8081/live/`; TLS schemes are refused.
    public static func parse(_ url: String, key: String) throws(ScenarioError) -> Endpoint {
        let schemes = ["ws://": 80, "http://": 80]
        guard let (scheme, defaultPort) = schemes.first(where: { url.hasPrefix($0.key) }) else {
            throw ScenarioError(key: key, problem: "expected a ws:// or http:// URL, got \"\(url)\"")
        }
        let rest = url.dropFirst(scheme.count)
        let slash = rest.firstIndex(of: "/") ?? rest.endIndex
        let authority = rest[..<slash]
        let target = slash == rest.endIndex ? "/" : String(rest[slash...])
        var host = String(authority)
        var port = defaultPort
        if let colon = authority.lastIndex(of: ":") {
            guard let parsed = Int(authority[authority.index(after: colon)...]), (1...65535).contains(parsed) else {
                throw ScenarioError(key: key, problem: "bad port in \"\(url)\"")
            }
            host = String(authority[..<colon])
            port = parsed
        }
        guard !host.isEmpty else { throw ScenarioError(key: key, problem: "no host in \"\(url)\"") }
        if host == "localhost" { host = "127.0.0.1" }
        return Endpoint(host: host, port: port, target: target)
    }

    /// This endpoint with `{channel}` in its target replaced.
    public func replacing(channel: String) -> Endpoint {
        var copy = self
        copy.target = target.replacingOccurrences(of: "{channel}", with: channel)
        return copy
    }
}

extension Scenario {
    /// Where subscribers connect: the Wlive WebSocket, or `sub_url` for a generic target.
    func subscribeEndpoint() throws(ScenarioError) -> Endpoint {
        target == .wlive ? try Endpoint.parse(wsURL, key: "ws_url") : try Endpoint.parse(subURL, key: "sub_url")
    }

    /// Where comments are posted: the Wlive HTTP API, or `pub_url` for a generic target.
    func publishEndpoint() throws(ScenarioError) -> Endpoint {
        target == .wlive ? try Endpoint.parse(httpURL, key: "http_url") : try Endpoint.parse(pubURL, key: "pub_url")
    }

    /// The login the Wlive calls carry: a token signed with `auth_secret`, or `test=1` without one.
    var credentials: ClientRequests.Credentials { authSecret.isEmpty ? .test : .secret(authSecret) }
}
