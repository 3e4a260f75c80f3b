import WliveProtocol
import WliveStore

/// Who makes a call: the common fields every call carries (seed 000, 通用规范说明), checked.
struct CallerIdentity {
    var appID: String
    var source: Int
    var biz: String
    var userID: String

    /// One user, as channel caps and spam limits count them: "source:userid".
    var key: String { Self.key(source: source, userID: userID) }
    static func key(source: Int, userID: String) -> String { "\(source):\(userID)" }

    /// Common fields that must be present and non-empty. `authtoken` is checked by the login
    /// step and `test` is optional.
    static let requiredFields = [
        "appid", "source", "biz", "userid", "version", "sdk_version",
        "os_type", "os_version", "client_type", "client_version",
    ]
}

extension LiveAPI {
    /// The field checks (-4, then -3) of every call.
    func checkFields(_ fields: RequestFields) throws(APIReply) -> CallerIdentity {
        for name in CallerIdentity.requiredFields {
            guard let value = fields[name], !value.isBlank else {
                throw .failure(.invalidParameter, "missing or empty field: \(name)")
            }
            _ = try bounded(value, name, limit: FieldLimits.common)
        }
        guard let source = Int(fields["source"]!.trimmingWhitespace) else {
            throw .failure(.invalidParameter, "source must be an integer")
        }
        guard settings.allowedSources.contains(source) else {
            throw .failure(.unknownSource, "unknown source \(source)")
        }
        return CallerIdentity(appID: fields["appid"]!, source: source, biz: fields["biz"]!, userID: fields["userid"]!)
    }

    /// The login check (-2): a valid `authtoken` for this user and source, unless `test=1` is
    /// allowed here (the seed: "线上环境该字段不生效", it has no effect in production).
    func checkLogin(_ fields: RequestFields, _ caller: CallerIdentity) throws(APIReply) {
        if settings.allowTest, fields["test"]?.trimmingWhitespace == "1" { return }
        switch verifier.verify(fields["authtoken"] ?? "", userID: caller.userID, source: caller.source, now: wallClock() / 1000) {
        case .success: return
        case .failure(.missing): throw .failure(.notLoggedIn, "authtoken missing")
        case .failure(.expired): throw .failure(.notLoggedIn, "authtoken expired")
        case .failure(.noSecretConfigured): throw .failure(.notLoggedIn, "login is not configured on this server (auth.secrets)")
        case .failure: throw .failure(.notLoggedIn, "authtoken invalid")
        }
    }

    /// Fields then login: the first two checks of every call.
    func authenticate(_ fields: RequestFields) throws(APIReply) -> CallerIdentity {
        let caller = try checkFields(fields)
        try checkLogin(fields, caller)
        return caller
    }

    /// A `channel_id` field as an id, or the -4 reply.
    func channelID(_ fields: RequestFields, _ name: String = "channel_id") throws(APIReply) -> ChannelID {
        guard let text = fields[name]?.trimmingWhitespace, !text.isEmpty else {
            throw .failure(.invalidParameter, "missing or empty field: \(name)")
        }
        guard let id = ChannelID(text) else {
            throw .failure(.invalidParameter, "\(name) must be a positive decimal number")
        }
        return id
    }

    /// Fields then an admin token (`auth.admin_secrets`), for the admin calls; `test=1` passes
    /// only where `auth.allow_test` is true, never in production.
    func authenticateAdmin(_ fields: RequestFields) throws(APIReply) -> CallerIdentity {
        let caller = try checkFields(fields)
        if settings.allowTest, fields["test"]?.trimmingWhitespace == "1" { return caller }
        switch adminVerifier.verify(
            fields["authtoken"] ?? "", userID: caller.userID, source: caller.source, now: wallClock() / 1000)
        {
        case .success: return caller
        case .failure(.noSecretConfigured):
            throw .failure(.permissionDenied, "admin calls are not configured on this server (auth.admin_secrets)")
        case .failure: throw .failure(.permissionDenied, "this call needs a valid admin token (wlive token --admin)")
        }
    }

    /// A known channel (1 when unknown) that is not over (2, naming its state).
    func activeChannel(_ id: ChannelID) throws -> ChannelInfo {
        guard let channel = try store.channel(id) else { throw APIReply.failure(.channelNotFound) }
        guard !channel.state.isFinal else {
            throw APIReply.failure(.channelClosed, "the channel is \(channel.state.name) (\(channel.state.rawValue))")
        }
        return channel
    }

    /// A known channel that is live (101): comments and likes are taken only then; otherwise
    /// code 2, naming the state.
    func liveChannel(_ id: ChannelID) throws -> ChannelInfo {
        let channel = try activeChannel(id)
        guard channel.state.acceptsComments else {
            throw APIReply.failure(
                .channelClosed,
                "the channel is \(channel.state.name) (\(channel.state.rawValue)); comments and likes are taken only while live (101)"
            )
        }
        return channel
    }
}
