import ArgumentParser
import Foundation
import WliveAPI
import WliveConfig

/// `wlive token`: mints an `authtoken` as the business backend would (docs/HTTP_API.md, Login).
struct TokenCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "token",
        abstract: "Mint a login token (authtoken) for a user id and source.",
        discussion: "Signs with --secret, or else the first of auth.secrets in the configuration.")

    @Option(name: .customLong("userid"), help: "The user id (the calls' userid field).") var userID: String
    @Option(help: "The user's source (the calls' source field).") var source: Int
    @Option(help: "Seconds until the token expires.") var ttl: Int = 86400
    @Option(help: "The secret to sign with.") var secret: String?
    @Option(help: "YAML configuration file to take auth.secrets from.") var config: String?

    func run() async throws {
        var signingSecret = secret
        if signingSecret == nil {
            let settings = try await ServeCommand.loadConfiguration(path: config, overrides: [:])
            signingSecret = settings.api.authSecrets.first
        }
        guard let signingSecret, !signingSecret.isEmpty else {
            throw ValidationError("no secret: pass --secret or set auth.secrets (WLIVE_AUTH_SECRETS)")
        }
        let expiry = Int64(Date().timeIntervalSince1970) + Int64(ttl)
        print(AuthTokenVerifier.mint(userID: userID, source: source, expiry: expiry, secret: signingSecret))
    }
}
