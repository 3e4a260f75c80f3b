import Foundation

#if canImport(Glibc)
    import Glibc
#endif

/// CPU time and peak memory of the server's processes, read from `/proc` (Linux).
public struct ProcessStatistics: Sendable, Equatable {
    /// User plus system CPU seconds, summed over the processes.
    public var cpuSeconds: Double
    /// The largest peak resident set (VmHWM) among them, in bytes.
    public var peakRSSBytes: Int

    /// Reads `pids`; nil when one cannot be read (it exited, or /proc is missing).
    public static func read(_ pids: [Int32]) -> ProcessStatistics? {
        var total = ProcessStatistics(cpuSeconds: 0, peakRSSBytes: 0)
        let ticks = Double(sysconf(Int32(_SC_CLK_TCK)))
        for pid in pids {
            guard let stat = try? String(contentsOfFile: "/proc/\(pid)/stat", encoding: .utf8),
                let status = try? String(contentsOfFile: "/proc/\(pid)/status", encoding: .utf8)
            else { return nil }
            // Fields after the parenthesised command name, which may itself hold spaces.
            guard let close = stat.lastIndex(of: ")") else { return nil }
            let fields = stat[stat.index(after: close)...].split(separator: " ")
            guard fields.count > 13, let user = Double(fields[11]), let system = Double(fields[12]) else { return nil }
            total.cpuSeconds += (user + system) / ticks
            if let line = status.split(separator: "\n").first(where: { $0.hasPrefix("VmHWM:") }),
                let kilobytes = Int(line.split(separator: " ").dropFirst().first ?? "")
            {
                total.peakRSSBytes = max(total.peakRSSBytes, kilobytes * 1024)
            }
        }
        return total
    }

    /// This process, through `getrusage`.
    public static func current() -> ProcessStatistics {
        var usage = rusage()
        getrusage(RUSAGE_SELF.rawValue, &usage)
        let cpu =
            Double(usage.ru_utime.tv_sec) + Double(usage.ru_utime.tv_usec) / 1e6
            + Double(usage.ru_stime.tv_sec) + Double(usage.ru_stime.tv_usec) / 1e6
        return ProcessStatistics(cpuSeconds: cpu, peakRSSBytes: Int(usage.ru_maxrss) * 1024)
    }
}
