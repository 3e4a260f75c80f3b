#if canImport(Glibc)
    import Glibc
#endif

/// The process's own figures, as Prometheus's client libraries name them: CPU time, resident
/// memory and file descriptors, read from the kernel when scraped.
public struct ProcessStatistics: Sendable, Equatable {
    public var cpuSeconds: Double
    public var residentBytes: Int
    public var openFileDescriptors: Int
    public var maxFileDescriptors: Int
    public var startTimeSeconds: Double

    public init(
        cpuSeconds: Double, residentBytes: Int, openFileDescriptors: Int, maxFileDescriptors: Int, startTimeSeconds: Double
    ) {
        self.cpuSeconds = cpuSeconds
        self.residentBytes = residentBytes
        self.openFileDescriptors = openFileDescriptors
        self.maxFileDescriptors = maxFileDescriptors
        self.startTimeSeconds = startTimeSeconds
    }

    /// Reads this process's figures (user plus system CPU, `/proc/self/statm`, `/proc/self/fd`).
    public static func current(startTimeSeconds: Double) -> Self {
        var usage = rusage()
        getrusage(RUSAGE_SELF.rawValue, &usage)
        let cpu =
            Double(usage.ru_utime.tv_sec) + Double(usage.ru_utime.tv_usec) / 1e6 + Double(usage.ru_stime.tv_sec)
            + Double(usage.ru_stime.tv_usec) / 1e6
        var limit = rlimit()
        getrlimit(Int32(RLIMIT_NOFILE.rawValue), &limit)
        return Self(
            cpuSeconds: cpu, residentBytes: residentPages() * Int(sysconf(Int32(_SC_PAGESIZE))),
            openFileDescriptors: openDescriptors(),
            maxFileDescriptors: limit.rlim_cur == rlim_t.max ? -1 : Int(clamping: limit.rlim_cur),
            startTimeSeconds: startTimeSeconds)
    }

    /// The second field of /proc/self/statm: resident pages.
    private static func residentPages() -> Int {
        guard let file = fopen("/proc/self/statm", "r") else { return 0 }
        defer { fclose(file) }
        var line = [CChar](repeating: 0, count: 256)
        guard fgets(&line, Int32(line.count), file) != nil else { return 0 }
        let text = line.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }
        let fields = String(decoding: text, as: UTF8.self).split(separator: " ")
        return fields.count >= 2 ? Int(fields[1]) ?? 0 : 0
    }

    /// Entries of /proc/self/fd, less ".", ".." and the descriptor the listing itself holds.
    /// Names are not read: a `dirent` may end before its declared size (at the end of the
    /// kernel's buffer), so copying its `d_name` field whole can read past mapped memory.
    private static func openDescriptors() -> Int {
        guard let directory = opendir("/proc/self/fd") else { return 0 }
        defer { closedir(directory) }
        var entries = 0
        while readdir(directory) != nil { entries += 1 }
        return max(0, entries - 3)
    }

    /// Seconds since the Unix epoch now, for `startTimeSeconds`.
    public static func wallClockSeconds() -> Double {
        var now = timespec()
        clock_gettime(CLOCK_REALTIME, &now)
        return Double(now.tv_sec) + Double(now.tv_nsec) / 1e9
    }
}
