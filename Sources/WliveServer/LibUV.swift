import CLibUV

#if canImport(Glibc)
    import Glibc
#endif

/// A libuv call that failed, with libuv's own name and text for the error.
public struct LibUVError: Error, CustomStringConvertible, Equatable {
    public let code: Int32
    public let operation: String

    public var description: String {
        "\(operation): \(String(cString: uv_err_name(code))) (\(String(cString: uv_strerror(code))))"
    }
}

/// Throws when a libuv call returned a negative status.
@discardableResult
func check(_ status: Int32, _ operation: @autoclosure () -> String) throws(LibUVError) -> Int32 {
    guard status >= 0 else { throw LibUVError(code: status, operation: operation()) }
    return status
}

package let uvEAGAIN = Int32(UV_EAGAIN.rawValue)

/// Views a libuv handle as one of its base types (libuv's C "inheritance").
@inline(__always)
package func cast<From, To>(_ pointer: UnsafeMutablePointer<From>, to: To.Type) -> UnsafeMutablePointer<To> {
    UnsafeMutableRawPointer(pointer).assumingMemoryBound(to: To.self)
}

/// Milliseconds since the Unix epoch, for the `time` fields of messages.
func wallClockMilliseconds() -> Int64 {
    var now = timespec()
    clock_gettime(CLOCK_REALTIME, &now)
    return Int64(now.tv_sec) * 1000 + Int64(now.tv_nsec) / 1_000_000
}

/// Seconds on a monotonic clock, for rate limits and windows that must not jump with the wall clock.
func monotonicSeconds() -> Double {
    var now = timespec()
    clock_gettime(CLOCK_MONOTONIC, &now)
    return Double(now.tv_sec) + Double(now.tv_nsec) / 1e9
}
