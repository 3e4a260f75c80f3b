/// What a WebSocket connection agreed for permessage-deflate (RFC 7692), and how it was agreed.
///
/// The server never keeps its compression context from one message to the next: it always
/// answers `server_no_context_takeover` (section 7.1.1.1 lets it, offered or not). That is what
/// lets one compressed copy of a broadcast go to every subscriber that negotiated deflate.
public struct PerMessageDeflate: Sendable, Equatable {
    /// The LZ77 window the client allowed us (`server_max_window_bits`, 15 when it set none). A
    /// message longer than the window could reference beyond it, so such a message goes out
    /// uncompressed (RSV1 clear), which the extension permits at any time.
    public var serverMaxWindowBits: Int
    /// The client agreed to compress each message on its own, so its inflater can be reset (and
    /// its memory freed) between messages.
    public var clientNoContextTakeover: Bool

    public init(serverMaxWindowBits: Int = 15, clientNoContextTakeover: Bool = false) {
        self.serverMaxWindowBits = serverMaxWindowBits
        self.clientNoContextTakeover = clientNoContextTakeover
    }

    /// The extension token.
    public static let name = "permessage-deflate"

    /// The `Sec-WebSocket-Extensions` response value that accepts this agreement.
    public var responseHeader: String {
        var value = "\(Self.name); server_no_context_takeover"
        if clientNoContextTakeover { value += "; client_no_context_takeover" }
        if serverMaxWindowBits < 15 { value += "; server_max_window_bits=\(serverMaxWindowBits)" }
        return value
    }

    /// Whether a message with a payload of `length` bytes may go compressed on this connection.
    public func compresses(payloadLength length: Int) -> Bool {
        serverMaxWindowBits >= 15 || length <= 1 << serverMaxWindowBits
    }

    /// The first acceptable permessage-deflate offer among the request's
    /// `Sec-WebSocket-Extensions` values, or nil when none is (the connection then goes
    /// uncompressed). An offer with an unknown or repeated parameter, or a window outside
    /// 8...15, is declined (section 7.1.1 and 7.1.2), as is `server_max_window_bits=8`.
    public static func negotiate(offers headerValues: [String]) -> PerMessageDeflate? {
        for offer in ExtensionOffer.parse(headerValues) where offer.name == name {
            if let accepted = accept(offer.parameters) { return accepted }
        }
        return nil
    }

    private static func accept(_ parameters: [(name: String, value: String?)]) -> PerMessageDeflate? {
        var agreed = PerMessageDeflate()
        var seen = Set<String>()
        for (name, value) in parameters {
            guard seen.insert(name).inserted else { return nil }
            switch name {
            case "server_no_context_takeover":
                guard value == nil else { return nil }
            case "client_no_context_takeover":
                guard value == nil else { return nil }
                agreed.clientNoContextTakeover = true
            case "server_max_window_bits":
                // zlib's deflate cannot keep to a 256-byte window (it raises 8 to 9), so an
                // offer of 8 is declined rather than answered with streams that might break it.
                guard let bits = value.flatMap(windowBits), bits >= 9 else { return nil }
                agreed.serverMaxWindowBits = bits
            case "client_max_window_bits":
                // Our inflater keeps a full window, so whatever the client uses, we read.
                if let value { guard windowBits(value) != nil else { return nil } }
            default:
                return nil
            }
        }
        return agreed
    }

    private static func windowBits(_ text: String) -> Int? {
        guard text.utf8.count <= 2, text.utf8.allSatisfy({ (0x30...0x39).contains($0) }), let bits = Int(text),
            (8...15).contains(bits)
        else { return nil }
        return bits
    }
}

/// One extension of a `Sec-WebSocket-Extensions` header: a token and its parameters (RFC 6455
/// section 9.1), values unquoted and names lower-cased.
struct ExtensionOffer {
    var name: String
    var parameters: [(name: String, value: String?)]

    static func parse(_ headerValues: [String]) -> [ExtensionOffer] {
        headerValues.flatMap { splitOutsideQuotes($0, on: ",") }.compactMap { item in
            let parts = splitOutsideQuotes(item, on: ";").map(trimmed)
            guard let name = parts.first, !name.isEmpty else { return nil }
            let parameters = parts.dropFirst().map { part -> (name: String, value: String?) in
                guard let equals = part.firstIndex(of: "=") else { return (part.lowercased(), nil) }
                var value = trimmed(String(part[part.index(after: equals)...]))
                if value.count >= 2, value.hasPrefix("\""), value.hasSuffix("\"") { value = String(value.dropFirst().dropLast()) }
                return (trimmed(String(part[..<equals])).lowercased(), value)
            }
            return ExtensionOffer(name: name.lowercased(), parameters: parameters)
        }
    }

    private static func splitOutsideQuotes(_ text: String, on separator: Character) -> [String] {
        var pieces: [String] = []
        var current = ""
        var quoted = false
        for character in text {
            if character == "\"" { quoted.toggle() }
            if character == separator, !quoted {
                pieces.append(current)
                current = ""
            } else {
                current.append(character)
            }
        }
        pieces.append(current)
        return pieces
    }

    private static func trimmed(_ text: String) -> String {
        String(text.drop(while: { $0 == " " || $0 == "\t" }).reversed().drop(while: { $0 == " " || $0 == "\t" }).reversed())
    }
}
