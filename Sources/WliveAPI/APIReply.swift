import WliveCodec
import WliveProtocol

/// The seed's response envelope: `{"code":..., "message":..., ...}`, sent as HTTP 200.
/// Also thrown by handlers to answer early with a refusal.
public struct APIReply: Error, Sendable, Equatable {
    public var code: WliveResultCode
    public var message: String
    /// Extra top-level fields, already JSON, in order.
    public var fields: [(name: StaticString, json: [UInt8])]

    public init(code: WliveResultCode, message: String? = nil, fields: [(name: StaticString, json: [UInt8])] = []) {
        self.code = code
        self.message = message ?? code.defaultMessage
        self.fields = fields
    }

    public static func failure(_ code: WliveResultCode, _ message: String? = nil) -> APIReply {
        APIReply(code: code, message: message)
    }

    public static func == (lhs: APIReply, rhs: APIReply) -> Bool {
        lhs.code == rhs.code && lhs.message == rhs.message && lhs.fields.map(\.json) == rhs.fields.map(\.json)
            && lhs.fields.map { "\($0.name)" } == rhs.fields.map { "\($0.name)" }
    }

    /// What a call answers when the store could not keep what it changed.
    static let storeFailed = APIReply.failure(.internalError, "the store could not keep this change; try again")

    /// The JSON body.
    public func encoded() -> [UInt8] {
        var json = JSONObjectWriter(reservingCapacity: 256)
        json.field("code", code.rawValue)
        json.field("message", message)
        for field in fields { json.field(field.name, rawJSON: field.json) }
        return json.finish()
    }

    /// The HTTP response: 200 with the envelope as UTF-8 JSON.
    public func httpResponse(keepAlive: Bool) -> HTTPResponse {
        var headers: [(name: String, value: String)] = [("Content-Type", "application/json; charset=utf-8")]
        if !keepAlive { headers.append(("Connection", "close")) }
        return HTTPResponse(status: 200, headers: headers, body: encoded())
    }
}
