import Crypto
import Foundation

/// The server side of the WebSocket opening handshake (RFC 6455 section 4.2).
public enum WebSocketUpgrade {
    /// The GUID RFC 6455 appends to the client's key before hashing.
    public static let guid = "258EAFA5-E914-47DA-95CA-C5AB0DC85B11"

    /// `Sec-WebSocket-Accept` for a client's `Sec-WebSocket-Key`: base64(SHA-1(key + GUID)).
    public static func acceptValue(forKey key: String) -> String {
        let digest = Insecure.SHA1.hash(data: Array((key + guid).utf8))
        return Data(digest).base64EncodedString()
    }

    /// Checks an upgrade request; on success returns the `101 Switching Protocols` response.
    ///
    /// - Parameter allowedOrigins: when non-empty, a request whose `Origin` is absent from it gets 403.
    /// - Returns: the 101 response, or the error response to send before closing.
    public static func respond(to request: HTTPRequest, allowedOrigins: Set<String> = []) -> Result<
        HTTPResponse, UpgradeRejection
    > {
        guard request.method == "GET" else {
            return .failure(.init(status: 405, reason: "WebSocket upgrade needs GET", headers: [("Allow", "GET")]))
        }
        guard request.versionMajor > 1 || (request.versionMajor == 1 && request.versionMinor >= 1) else {
            return .failure(.init(status: 400, reason: "WebSocket upgrade needs HTTP/1.1"))
        }
        guard request.tokens(of: "Upgrade").contains("websocket") else {
            return .failure(
                .init(
                    status: 426, reason: "this endpoint speaks WebSocket only",
                    headers: [("Upgrade", "websocket"), ("Sec-WebSocket-Version", "13")]))
        }
        guard request.tokens(of: "Connection").contains("upgrade") else {
            return .failure(.init(status: 400, reason: "Connection header lacks the upgrade token"))
        }
        guard request.tokens(of: "Sec-WebSocket-Version") == ["13"] else {
            return .failure(
                .init(
                    status: 426, reason: "unsupported Sec-WebSocket-Version",
                    headers: [("Sec-WebSocket-Version", "13")]))
        }
        let keys = request.values(of: "Sec-WebSocket-Key")
        guard keys.count == 1, let key = keys.first, isValidKey(key) else {
            return .failure(.init(status: 400, reason: "Sec-WebSocket-Key must be base64 of 16 bytes"))
        }
        if !allowedOrigins.isEmpty {
            guard let origin = request.value(of: "Origin"), allowedOrigins.contains(origin) else {
                return .failure(.init(status: 403, reason: "origin not allowed"))
            }
        }
        return .success(
            HTTPResponse(
                status: 101,
                headers: [
                    ("Upgrade", "websocket"),
                    ("Connection", "Upgrade"),
                    ("Sec-WebSocket-Accept", acceptValue(forKey: key)),
                ]))
    }

    /// A key is valid when it is base64 that decodes to exactly 16 bytes.
    public static func isValidKey(_ key: String) -> Bool {
        guard key.utf8.count == 24, let data = Data(base64Encoded: key) else { return false }
        return data.count == 16
    }
}

/// Why an upgrade was refused: the HTTP status, a reason for the body, and any extra headers.
public struct UpgradeRejection: Error, Equatable, Sendable {
    public var status: Int
    public var reason: String
    public var headers: [(name: String, value: String)]

    public init(status: Int, reason: String, headers: [(name: String, value: String)] = []) {
        self.status = status
        self.reason = reason
        self.headers = headers
    }

    public static func == (lhs: UpgradeRejection, rhs: UpgradeRejection) -> Bool {
        lhs.status == rhs.status && lhs.reason == rhs.reason && lhs.headers.map(\.name) == rhs.headers.map(\.name)
            && lhs.headers.map(\.value) == rhs.headers.map(\.value)
    }

    /// The response to send before closing.
    public var response: HTTPResponse { .error(status, reason, headers: headers) }
}
