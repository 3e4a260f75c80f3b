import Crypto
import Foundation

/// The login token the business backend issues and every API call carries as `authtoken`.
///
/// Format: `v1.<expiry>.<signature>` where `expiry` is Unix seconds and `signature` is
/// base64url (no padding) of HMAC-SHA256(secret, "v1\n<userid>\n<source>\n<expiry>"). The user id
/// and source are not repeated in the token: they are the request's own common fields, so a token
/// minted for one user is worthless for another. Several secrets may be configured so one can
/// be rotated: tokens are minted with the first and accepted with any.
///
/// An admin token (`Purpose.admin`, `auth.admin_secrets`) signs "v1\nadmin\n<userid>\n<source>\n<expiry>"
/// instead: a login token is never an admin token, even were the secrets the same.
public struct AuthTokenVerifier: Sendable {
    public let secrets: [String]
    public let purpose: Purpose
    /// The secrets as HMAC keys, made once rather than on every call.
    private let keys: [SymmetricKey]

    /// What a token is for, as the signed text names it.
    public enum Purpose: String, Sendable {
        /// An ordinary user's `authtoken` (the text names no purpose, as before there were others).
        case login = ""
        /// An operator's: the admin calls (`banLive`, ...).
        case admin
        /// A viewer's pass to one private room (the handshake's `im_token`); it names the room
        /// where the others name the source.
        case viewer
    }

    public init(secrets: [String], purpose: Purpose = .login) {
        self.secrets = secrets.filter { !$0.isEmpty }
        self.purpose = purpose
        keys = self.secrets.map { SymmetricKey(data: Array($0.utf8)) }
    }

    public enum Failure: Error, Equatable, Sendable {
        case missing, malformed, expired, badSignature, noSecretConfigured
    }

    /// Mints a token with the first secret.
    public static func mint(userID: String, source: Int, expiry: Int64, secret: String, purpose: Purpose = .login) -> String {
        mint(subject: userID, scope: String(source), expiry: expiry, secret: secret, purpose: purpose)
    }

    /// Mints a viewer token: `userID` may watch private room `channel` until `expiry`.
    public static func mintViewer(userID: String, channel: String, expiry: Int64, secret: String) -> String {
        mint(subject: userID, scope: channel, expiry: expiry, secret: secret, purpose: .viewer)
    }

    private static func mint(subject: String, scope: String, expiry: Int64, secret: String, purpose: Purpose) -> String {
        let key = SymmetricKey(data: Array(secret.utf8))
        return "v1.\(expiry).\(signature(purpose: purpose, subject: subject, scope: scope, expiry: expiry, key: key))"
    }

    /// Checks `token` for `userID` and `source` at `now` (Unix seconds).
    public func verify(_ token: String, userID: String, source: Int, now: Int64) -> Result<Void, Failure> {
        verify(token, subject: userID, scope: String(source), now: now)
    }

    /// Checks a viewer token for `userID` in room `channel` at `now` (Unix seconds).
    public func verifyViewer(_ token: String, userID: String, channel: String, now: Int64) -> Result<Void, Failure> {
        verify(token, subject: userID, scope: channel, now: now)
    }

    private func verify(_ token: String, subject: String, scope: String, now: Int64) -> Result<Void, Failure> {
        guard !token.isBlank else { return .failure(.missing) }
        guard !secrets.isEmpty else { return .failure(.noSecretConfigured) }
        let parts = token.split(separator: ".", omittingEmptySubsequences: false)
        guard parts.count == 3, parts[0] == "v1", let expiry = Int64(parts[1]) else { return .failure(.malformed) }
        guard expiry > now else { return .failure(.expired) }
        let presented = Array(parts[2].utf8)
        for key in keys {
            let expected = Array(
                Self.signature(purpose: purpose, subject: subject, scope: scope, expiry: expiry, key: key).utf8)
            if Self.constantTimeEquals(presented, expected) { return .success(()) }
        }
        return .failure(.badSignature)
    }

    /// The signature of "v1\n[<purpose>\n]<subject>\n<scope>\n<expiry>": the user id, then the
    /// source (login, admin) or the room (viewer).
    static func signature(purpose: Purpose, subject: String, scope: String, expiry: Int64, key: SymmetricKey) -> String {
        let named = purpose == .login ? "" : "\(purpose.rawValue)\n"
        let mac = HMAC<SHA256>.authenticationCode(
            for: Array("v1\n\(named)\(subject)\n\(scope)\n\(expiry)".utf8), using: key)
        return Data(mac).base64EncodedString()
            .replacingOccurrences(of: "+", with: "-").replacingOccurrences(of: "/", with: "_").replacingOccurrences(
                of: "=", with: "")
    }

    /// Compares without an early exit, so the time taken does not reveal how much of a forged
    /// signature was right.
    static func constantTimeEquals(_ a: [UInt8], _ b: [UInt8]) -> Bool {
        guard a.count == b.count else { return false }
        var difference: UInt8 = 0
        for index in a.indices { difference |= a[index] ^ b[index] }
        return difference == 0
    }
}
