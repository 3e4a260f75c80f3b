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

    /// Parses a comma-separated list of URLs (at least one).
    public static func parseList(_ urls: String, key: String) throws(ScenarioError) -> [Endpoint] {
        var endpoints: [Endpoint] = []
        for url in urls.split(separator: ",", omittingEmptySubsequences: false) {
            endpoints.append(try parse(url.trimmingCharacters(in: .whitespaces), key: key))
        }
        return endpoints
    }

    /// This endpoint with `{channel}` in its target replaced.
    public func replacing(channel: String) -> Endpoint {
        var copy = self
        copy.target = target.replacingOccurrences(of: "{channel}", with: channel)
        return copy
    }
}

extension Scenario {
    /// Where subscribers connect: the Wlive WebSocket, or `sub_url` for a generic target. A
    /// comma-separated list spreads them over several nodes, subscriber n on the (n mod count)th.
    func subscribeEndpoints() throws(ScenarioError) -> [Endpoint] {
        target == .wlive ? try Endpoint.parseList(wsURL, key: "ws_url") : try Endpoint.parseList(subURL, key: "sub_url")
    }

    /// Where comments are posted: the Wlive HTTP API, or `pub_url` for a generic target. A
    /// list spreads the publishing connections over several nodes, connection i on the (i mod count)th.
    func publishEndpoints() throws(ScenarioError) -> [Endpoint] {
        target == .wlive ? try Endpoint.parseList(httpURL, key: "http_url") : try Endpoint.parseList(pubURL, key: "pub_url")
    }

    /// The first publish endpoint: where channels are set up.
    func publishEndpoint() throws(ScenarioError) -> Endpoint { try publishEndpoints()[0] }

    /// The login the Wlive calls carry: a token signed with `auth_secret`, or `test=1` without one.
    var credentials: ClientRequests.Credentials { authSecret.isEmpty ? .test : .secret(authSecret) }
}
