/// The opcode of a WebSocket frame (RFC 6455 section 5.2).
public struct WebSocketOpcode: RawRepresentable, Hashable, Sendable, CustomStringConvertible {
    public let rawValue: UInt8

    /// Creates an opcode from the low four bits of the first frame byte; `nil` for values above 0x0F.
    public init?(rawValue: UInt8) {
        guard rawValue < 0x10 else { return nil }
        self.rawValue = rawValue
    }

    private init(uncheckedValue: UInt8) { self.rawValue = uncheckedValue }

    public static let continuation = WebSocketOpcode(uncheckedValue: 0x0)
    public static let text = WebSocketOpcode(uncheckedValue: 0x1)
    public static let binary = WebSocketOpcode(uncheckedValue: 0x2)
    public static let close = WebSocketOpcode(uncheckedValue: 0x8)
    public static let ping = WebSocketOpcode(uncheckedValue: 0x9)
    public static let pong = WebSocketOpcode(uncheckedValue: 0xA)

    /// Control frames have the high bit of the opcode set (0x8–0xF).
    public var isControl: Bool { rawValue & 0x8 != 0 }

    /// Opcodes 0x3–0x7 and 0xB–0xF are reserved for future use and must fail the connection.
    public var isReserved: Bool {
        switch rawValue {
        case 0x0, 0x1, 0x2, 0x8, 0x9, 0xA: return false
        default: return true
        }
    }

    public var description: String {
        switch self {
        case .continuation: return "continuation"
        case .text: return "text"
        case .binary: return "binary"
        case .close: return "close"
        case .ping: return "ping"
        case .pong: return "pong"
        default: return "reserved(0x\(String(rawValue, radix: 16)))"
        }
    }
}
