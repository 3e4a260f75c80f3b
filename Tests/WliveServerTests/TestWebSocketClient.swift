import Foundation
import WliveCodec

#if canImport(Glibc)
    import Glibc
#endif

enum TestClientError: Error, CustomStringConvertible {
    case timeout(String)
    case closedByPeer
    case system(String, Int32)
    case unexpected(String)

    var description: String {
        switch self {
        case .timeout(let what): return "timed out waiting for \(what)"
        case .closedByPeer: return "connection closed by peer"
        case .system(let call, let code): return "\(call) failed: \(String(cString: strerror(code)))"
        case .unexpected(let what): return "unexpected: \(what)"
        }
    }
}

/// A blocking TCP socket to the gateway under test, with deadlines through poll(2).
final class TestSocket {
    let fd: Int32
    var inbound: [UInt8] = []
    private(set) var sawEOF = false

    /// - Parameter receiveBuffer: a small `SO_RCVBUF`, set before connecting, makes a reader that
    ///   stops reading back up quickly.
    init(port: Int, receiveBuffer: Int32? = nil) throws {
        fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        guard fd >= 0 else { throw TestClientError.system("socket", errno) }
        if var size = receiveBuffer {
            setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &size, socklen_t(MemoryLayout<Int32>.size))
        }
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = in_port_t(UInt16(port).bigEndian)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        let status = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
        }
        guard status == 0 else {
            let code = errno
            Glibc.close(fd)
            throw TestClientError.system("connect", code)
        }
    }

    deinit { Glibc.close(fd) }

    /// Makes the close (at deinit) a reset: the gateway sees the connection drop, not end.
    func resetOnClose() {
        var option = linger(l_onoff: 1, l_linger: 0)
        setsockopt(fd, SOL_SOCKET, SO_LINGER, &option, socklen_t(MemoryLayout<linger>.size))
    }

    func write(_ bytes: [UInt8]) throws {
        var offset = 0
        while offset < bytes.count {
            let sent = bytes[offset...].withUnsafeBytes { send(fd, $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL)) }
            guard sent > 0 else { throw TestClientError.system("send", errno) }
            offset += sent
        }
    }

    func write(_ text: String) throws { try write(Array(text.utf8)) }

    /// Reads whatever arrives within `timeout`; false once the peer has closed.
    @discardableResult
    func readSome(timeout: Double) throws -> Bool {
        guard !sawEOF else { return false }
        var descriptor = pollfd(fd: fd, events: Int16(POLLIN), revents: 0)
        let ready = poll(&descriptor, 1, Int32(timeout * 1000))
        guard ready > 0 else { throw TestClientError.timeout("data") }
        var chunk = [UInt8](repeating: 0, count: 65536)
        let count = chunk.withUnsafeMutableBytes { recv(fd, $0.baseAddress, $0.count, 0) }
        if count <= 0 {
            sawEOF = true
            return false
        }
        inbound += chunk[..<count]
        return true
    }

    /// Reads until `extract` finds something in the buffer (it returns the value and the bytes used).
    func read<T>(timeout: Double, what: String, _ extract: ([UInt8]) throws -> (T, Int)?) throws -> T {
        let deadline = Date().addingTimeInterval(timeout)
        while true {
            if let (value, used) = try extract(inbound) {
                inbound.removeFirst(used)
                return value
            }
            let left = deadline.timeIntervalSinceNow
            guard left > 0 else { throw TestClientError.timeout(what) }
            do {
                guard try readSome(timeout: left) else { throw TestClientError.closedByPeer }
            } catch TestClientError.timeout {
                throw TestClientError.timeout(what)
            }
        }
    }

    /// Reads until the peer closes; returns everything that arrived.
    func readToEnd(timeout: Double) throws -> [UInt8] {
        let deadline = Date().addingTimeInterval(timeout)
        while try readSome(timeout: max(0.01, deadline.timeIntervalSinceNow)) {}
        defer { inbound = [] }
        return inbound
    }
}

/// A WebSocket client that speaks just enough RFC 6455 to test the gateway: masked frames up,
/// unmasked frames down, decoded with the project's own codec in the client role.
final class TestWebSocketClient {
    struct Frame: Equatable {
        var opcode: WebSocketOpcode
        var fin: Bool
        var payload: [UInt8]
        var text: String { String(decoding: payload, as: UTF8.self) }
        var closeCode: UInt16? { payload.count >= 2 ? UInt16(payload[0]) << 8 | UInt16(payload[1]) : nil }
    }

    let socket: TestSocket
    let decoder = WebSocketFrameDecoder(role: .client, maxPayloadLength: 1 << 26)

    static let sampleKey = "dGhlIHNhbXBsZSBub25jZQ=="

    /// Opens the socket and completes the upgrade, failing unless the answer is 101.
    init(port: Int, path: String = "/ws", extraHeaders: [String] = [], receiveBuffer: Int32? = nil) throws {
        socket = try TestSocket(port: port, receiveBuffer: receiveBuffer)
        let head = try Self.upgrade(socket, path: path, extraHeaders: extraHeaders)
        guard head.hasPrefix("HTTP/1.1 101") else { throw TestClientError.unexpected("upgrade answered \(head)") }
        guard head.contains("Sec-WebSocket-Accept: s3pPLMBiTxaQ9kYGzzhZRbK+xOo=") else {
            throw TestClientError.unexpected("bad accept: \(head)")
        }
    }

    static func upgradeRequest(path: String, extraHeaders: [String] = []) -> String {
        ([
            "GET \(path) HTTP/1.1", "Host: 127.0.0.1", "Upgrade: websocket", "Connection: Upgrade",
            "Sec-WebSocket-Key: \(sampleKey)", "Sec-WebSocket-Version: 13",
        ] + extraHeaders).joined(separator: "\r\n") + "\r\n\r\n"
    }

    /// Sends an upgrade request and returns the response head.
    static func upgrade(_ socket: TestSocket, path: String, extraHeaders: [String]) throws -> String {
        try socket.write(upgradeRequest(path: path, extraHeaders: extraHeaders))
        return try socket.read(timeout: 5, what: "upgrade response") { bytes in
            guard let end = bytes.firstRange(of: Array("\r\n\r\n".utf8)) else { return nil }
            return (String(decoding: bytes[..<end.upperBound], as: UTF8.self), end.upperBound)
        }
    }

    /// Sends raw bytes to the WebSocket port and returns the whole answer until the server closes.
    static func rawExchange(port: Int, _ request: [UInt8], timeout: Double = 5) throws -> String {
        let socket = try TestSocket(port: port)
        try socket.write(request)
        return String(decoding: try socket.readToEnd(timeout: timeout), as: UTF8.self)
    }

    func send(_ opcode: WebSocketOpcode, _ payload: [UInt8], fin: Bool = true) throws {
        try socket.write(WebSocketFrameEncoder.encode(opcode: opcode, fin: fin, payload: payload, maskingKey: .random()))
    }

    func sendText(_ text: String) throws { try send(.text, Array(text.utf8)) }

    func nextFrame(timeout: Double = 5) throws -> Frame {
        try socket.read(timeout: timeout, what: "a frame") { bytes in
            try bytes.withUnsafeBytes { raw in
                guard let header = try decoder.decodeHeader(raw), raw.count >= header.frameLength else { return nil }
                let payload = Array(raw[header.headerLength..<header.frameLength])
                return (Frame(opcode: header.opcode, fin: header.fin, payload: payload), header.frameLength)
            }
        }
    }

    /// The next text message as a JSON object, skipping pings (answered) unless asked not to.
    func nextJSON(timeout: Double = 5, skipping types: Set<String> = []) throws -> [String: Any] {
        let deadline = Date().addingTimeInterval(timeout)
        while true {
            let frame = try nextFrame(timeout: max(0.01, deadline.timeIntervalSinceNow))
            switch frame.opcode {
            case .ping:
                try send(.pong, frame.payload)
            case .text:
                guard let object = try JSONSerialization.jsonObject(with: Data(frame.payload)) as? [String: Any] else {
                    throw TestClientError.unexpected("not a JSON object: \(frame.text)")
                }
                if let type = object["type"] as? String, types.contains(type) { continue }
                return object
            default:
                throw TestClientError.unexpected("\(frame.opcode) frame \(frame.text)")
            }
        }
    }

    /// Reads frames until a close frame; returns its code (nil for an empty close).
    func nextClose(timeout: Double = 5) throws -> UInt16? {
        let deadline = Date().addingTimeInterval(timeout)
        while true {
            let frame = try nextFrame(timeout: max(0.01, deadline.timeIntervalSinceNow))
            if frame.opcode == .close { return frame.closeCode }
        }
    }

    /// True when the server closes the TCP connection within `timeout`.
    func serverHangsUp(timeout: Double = 5) -> Bool {
        (try? socket.readToEnd(timeout: timeout)) != nil && socket.sawEOF
    }
}
