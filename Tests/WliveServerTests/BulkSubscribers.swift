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
                    guard let json = try? JSONSerialization.jsonObject(with: payload) as? [String: Any] else { continue }
                    switch json["type"] as? String {
                    case "comment": received[index].append(json["seq"] as? Int ?? -1)
                    case "gap": gaps[index] += json["missed"] as? Int ?? 0
                    default: break
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
