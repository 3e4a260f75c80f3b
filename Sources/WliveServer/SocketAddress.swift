import CLibUV

#if canImport(Glibc)
    import Glibc
#endif

/// An IPv4 or IPv6 address and port, as libuv's bind calls take it.
struct SocketAddress {
    var storage = sockaddr_storage()

    init(host: String, port: Int) throws(LibUVError) {
        var storage = sockaddr_storage()
        let status = withUnsafeMutablePointer(to: &storage) { pointer in
            pointer.withMemoryRebound(to: sockaddr_in.self, capacity: 1) { uv_ip4_addr(host, Int32(port), $0) }
        }
        if status != 0 {
            let status6 = withUnsafeMutablePointer(to: &storage) { pointer in
                pointer.withMemoryRebound(to: sockaddr_in6.self, capacity: 1) { uv_ip6_addr(host, Int32(port), $0) }
            }
            try check(status6, "parse address \(host)")
        }
        self.storage = storage
    }

    var family: Int32 { Int32(storage.ss_family) }

    func withSockaddr<T>(_ body: (UnsafePointer<sockaddr>) -> T) -> T {
        withUnsafePointer(to: storage) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1, body) }
    }

    /// The port a bound TCP handle ended up on (useful after binding port 0).
    static func boundPort(of handle: UnsafeMutablePointer<uv_tcp_t>) -> Int {
        var storage = sockaddr_storage()
        var length = Int32(MemoryLayout<sockaddr_storage>.size)
        _ = withUnsafeMutablePointer(to: &storage) { pointer in
            pointer.withMemoryRebound(to: sockaddr.self, capacity: 1) { uv_tcp_getsockname(handle, $0, &length) }
        }
        return withUnsafePointer(to: storage) { pointer in
            pointer.withMemoryRebound(to: sockaddr_in.self, capacity: 1) { Int(UInt16(bigEndian: $0.pointee.sin_port)) }
        }
    }
}
