import Foundation
import WliveCodec

#if canImport(Glibc)
    import Glibc
#endif

/// Many subscribed sockets read together with poll(2) on one thread, recording the comment
/// sequence numbers each receives: for fan-out tests with thousands of clients.
final class BulkSubscribers: @unchecked Sendable {
    // @unchecked: `received` and `closes` are read only after `run` returned on its thread.
    let clients: [TestWebSocketClient]
    private(set) var received: [[Int]]
    private(set) var gaps: [Int]
    private(set) var closes: [UInt16?]
    private var buffers: [[UInt8]]

    init(_ clients: [TestWebSocketClient]) {
        self.clients = clients
        received = Array(repeating: [], count: clients.count)
        gaps = Array(repeating: 0, count: clients.count)
        closes = Array(repeating: nil, count: clients.count)
        buffers = clients.map { $0.socket.inbound }
    }

    /// Reads until `done` says so or `timeout` passes; answers pings.
    func run(timeout: Double, until done: (BulkSubscribers) -> Bool) {
        let deadline = Date().addingTimeInterval(timeout)
        var descriptors = clients.map { pollfd(fd: $0.socket.fd, events: Int16(POLLIN), revents: 0) }
        var chunk = [UInt8](repeating: 0, count: 256 * 1024)
        let decoder = WebSocketFrameDecoder(role: .client, maxPayloadLength: 1 << 24)
        while !done(self), Date() < deadline {
            guard poll(&descriptors, nfds_t(descriptors.count), 100) > 0 else { continue }
            for index in descriptors.indices where descriptors[index].revents != 0 {
                let count = chunk.withUnsafeMutableBytes {
                    recv(descriptors[index].fd, $0.baseAddress, $0.count, Int32(MSG_DONTWAIT))
                }
                if count <= 0 {
                    descriptors[index].fd = -1  // closed: stop polling it
                    continue
                }
                buffers[index] += chunk[..<count]
                consume(index, decoder)
            }
        }
    }

    // The gateway writes `type` first, then the fields in a fixed order (JSONObjectWriter).
    static let commentPrefix = Array(#"{"type":"comment""#.utf8)
    static let gapPrefix = Array(#"{"type":"gap""#.utf8)
    static let seqKey = Array(#""seq":"#.utf8)
    static let missedKey = Array(#""missed":"#.utf8)

    /// The unsigned integer right after `key` in `payload`.
    static func integer(after key: [UInt8], in payload: Data) -> Int? {
        guard let range = payload.firstRange(of: key) else { return nil }
        var value = 0
        var digits = 0
        for byte in payload[range.upperBound...] {
            guard byte >= 0x30, byte <= 0x39 else { break }
            value = value * 10 + Int(byte - 0x30)
            digits += 1
        }
        return digits > 0 ? value : nil
    }

    private func consume(_ index: Int, _ decoder: WebSocketFrameDecoder) {
        var offset = 0
        buffers[index].withUnsafeBytes { raw in
            while true {
                let rest = UnsafeRawBufferPointer(rebasing: raw[offset...])
                guard let header = try? decoder.decodeHeader(rest), rest.count >= header.frameLength else { break }
                let payload = Data(rest[header.headerLength..<header.frameLength])
                offset += header.frameLength
                switch header.opcode {
                case .text:
                    // A byte scan, not a JSON parser: one thread reads thousands of sockets, and
                    // under ThreadSanitizer a parser per message fell minutes behind the test.
                    if payload.starts(with: Self.commentPrefix) {
                        received[index].append(Self.integer(after: Self.seqKey, in: payload) ?? -1)
                    } else if payload.starts(with: Self.gapPrefix) {
                        gaps[index] += Self.integer(after: Self.missedKey, in: payload) ?? 0
                    }
                case .close:
                    closes[index] =
                        payload.count >= 2
                        ? UInt16(payload[payload.startIndex]) << 8 | UInt16(payload[payload.startIndex + 1]) : 0
                case .ping:
                    try? clients[index].send(.pong, Array(payload))
                default:
                    break
                }
            }
        }
        buffers[index].removeFirst(offset)
    }
}
