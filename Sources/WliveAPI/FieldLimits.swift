/// The longest value each free-text field may have, counted in Unicode scalars (code points),
/// never in grapheme clusters: one letter followed by thousands of combining marks is one
/// "character" but thousands of scalars. Longer: code -4. docs/HTTP_API.md lists them.
public enum FieldLimits {
    /// Every common field (`appid`, `userid`, `biz`, ...) and any field without a limit of its own.
    public static let common = 256
    public static let channelTitle = 128
    public static let channelDescribe = 1024
    public static let coverURL = 2048
    /// `ext_json` of startLive, joinLive and of a comment.
    public static let extJSON = 4096
    /// The `reason` of stopLive, pauseLive, resumeLive, banLive and deleteComment.
    public static let reason = 256
    /// A comment's `type`.
    public static let commentType = 64
}

extension LiveAPI {
    /// A field that must be present, non-empty and at most `limit` scalars long.
    func required(_ fields: RequestFields, _ name: String, limit: Int = FieldLimits.common) throws(APIReply) -> String {
        guard let value = fields[name], !value.isEmpty else {
            throw .failure(.invalidParameter, "missing or empty field: \(name)")
        }
        return try bounded(value, name, limit: limit)
    }

    /// An optional field, empty when absent, at most `limit` scalars long.
    func optional(_ fields: RequestFields, _ name: String, limit: Int = FieldLimits.common) throws(APIReply) -> String {
        try bounded(fields[name] ?? "", name, limit: limit)
    }

    /// `value` when it is at most `limit` scalars long, else the -4 reply.
    func bounded(_ value: String, _ name: String, limit: Int) throws(APIReply) -> String {
        // Four UTF-8 bytes at most per scalar: most values are settled without counting.
        guard value.utf8.count > limit, value.unicodeScalars.count > limit else { return value }
        throw .failure(.invalidParameter, "\(name) is longer than \(limit) characters (Unicode scalars)")
    }
}
