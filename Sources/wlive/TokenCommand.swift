import ArgumentParser
import Foundation
import WliveAPI
import WliveConfig
import WliveProtocol

/// `wlive token`: mints an `authtoken` as the business backend would (docs/HTTP_API.md, Login).
struct TokenCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "token",
        abstract: "Mint a login token (authtoken) for a user id and source, an admin token, or a viewer token.",
        discussion: """
            Signs with --secret, or else the first of auth.secrets in the configuration (auth.admin_secrets \
            for --admin). A viewer token (--viewer CHANNEL_ID) lets --userid watch that private room: \
            the handshake carries it in im_token, with the same user_id.
            """)

    @Option(name: .customLong("userid"), help: "The user id (the calls' userid field; the handshake's user_id).")
    var userID: String
    @Option(help: "The user's source (the calls' source field); not used by --viewer.") var source: Int?
    @Flag(help: "An admin token, for the admin calls (signed with auth.admin_secrets).") var admin = false
    @Option(help: "A viewer token for this private room's channel id.") var viewer: String?
    @Option(help: "Seconds until the token expires.") var ttl: Int = 86400
    @Option(help: "The secret to sign with.") var secret: String?
    @Option(help: "YAML configuration file to take auth.secrets from.") var config: String?

    func run() async throws {
        guard !(admin && viewer != nil) else { throw ValidationError("--admin and --viewer mint different tokens: pick one") }
        var signingSecret = secret
        if signingSecret == nil {
            let settings = try await ServeCommand.loadConfiguration(path: config, overrides: [:])
            signingSecret = admin ? settings.api.adminSecrets.first : settings.api.authSecrets.first
        }
        let key = admin ? "auth.admin_secrets (WLIVE_AUTH_ADMIN_SECRETS)" : "auth.secrets (WLIVE_AUTH_SECRETS)"
        guard let signingSecret, !signingSecret.isEmpty else { throw ValidationError("no secret: pass --secret or set \(key)") }
        let expiry = Int64(Date().timeIntervalSince1970) + Int64(ttl)
        if let viewer {
            guard let channel = ChannelID(viewer) else { throw ValidationError("--viewer takes a channel id (decimal digits)") }
            // Signed as the gateway writes the id (no leading zeros), which is how it verifies.
            print(
                AuthTokenVerifier.mintViewer(userID: userID, channel: channel.description, expiry: expiry, secret: signingSecret))
        } else {
            guard let source else { throw ValidationError("--source is required (the calls' source field)") }
            print(
                AuthTokenVerifier.mint(
                    userID: userID, source: source, expiry: expiry, secret: signingSecret, purpose: admin ? .admin : .login))
        }
    }
}
