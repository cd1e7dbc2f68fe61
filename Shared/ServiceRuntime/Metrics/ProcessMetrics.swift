// The process's CPU, memory and file descriptors, read from /proc at each scrape.

import Foundation

/// The `process_*` families of ``MetricCatalog``, read from Linux's `/proc/self` when
/// `/metrics` is scraped (named as Prometheus's own client libraries name them, so existing
/// dashboards and alerts apply). On a system without `/proc` it writes nothing.
public struct ProcessMetrics: Sendable, Equatable {
    /// User plus system CPU time, in seconds.
    public var cpuSeconds: Double
    /// Resident set size, in bytes.
    public var residentBytes: Int
    /// Virtual memory size, in bytes.
    public var virtualBytes: Int
    /// Start time, in seconds since 1970.
    public var startTimeSeconds: Double
    /// Open file descriptors.
    public var openFileDescriptors: Int
    /// The soft limit on open file descriptors.
    public var maximumFileDescriptors: Int

    /// Reads the calling process's figures, or `nil` without `/proc`.
    public static func current() -> ProcessMetrics? {
        guard let stat = try? String(contentsOfFile: "/proc/self/stat", encoding: .utf8),
              let boot = try? String(contentsOfFile: "/proc/stat", encoding: .utf8),
              let bootTime = boot.split(separator: "\n").first(where: { $0.hasPrefix("btime ") }).flatMap({ Double($0.dropFirst(6)) }),
              var metrics = parse(stat: stat, bootTime: bootTime, ticksPerSecond: Double(sysconf(Int32(_SC_CLK_TCK))), pageSize: Int(sysconf(Int32(_SC_PAGESIZE))))
        else { return nil }
        metrics.openFileDescriptors = (try? FileManager.default.contentsOfDirectory(atPath: "/proc/self/fd").count) ?? 0
        var limit = rlimit()
        if getrlimit(Int32(RLIMIT_NOFILE.rawValue), &limit) == 0 { metrics.maximumFileDescriptors = Int(clamping: limit.rlim_cur) }
        return metrics
    }

    /// Parses a `/proc/<pid>/stat` line (proc(5)): fields after the parenthesised command name,
    /// which may itself contain spaces and parentheses.
    public static func parse(stat: String, bootTime: Double, ticksPerSecond: Double, pageSize: Int) -> ProcessMetrics? {
        guard let close = stat.lastIndex(of: ")") else { return nil }
        // Fields from 3 (state) on; proc(5) numbers them from 1.
        let fields = stat[stat.index(after: close)...].split(separator: " ")
        func field(_ number: Int) -> Double? { fields.count > number - 3 ? Double(fields[number - 3]) : nil }
        guard let userTicks = field(14), let systemTicks = field(15), let startTicks = field(22), let virtual = field(23), let residentPages = field(24)
        else { return nil }
        return ProcessMetrics(
            cpuSeconds: (userTicks + systemTicks) / ticksPerSecond, residentBytes: Int(residentPages) * pageSize, virtualBytes: Int(virtual),
            startTimeSeconds: bootTime + startTicks / ticksPerSecond, openFileDescriptors: 0, maximumFileDescriptors: 0)
    }

    /// The samples in Prometheus text format (without `# HELP`/`# TYPE`, which
    /// ``MetricsExposition`` adds).
    var samples: [(family: String, value: String)] {
        [
            ("process_cpu_seconds_total", "\(cpuSeconds)"),
            ("process_resident_memory_bytes", "\(residentBytes)"),
            ("process_virtual_memory_bytes", "\(virtualBytes)"),
            ("process_start_time_seconds", "\(startTimeSeconds)"),
            ("process_open_fds", "\(openFileDescriptors)"),
            ("process_max_fds", "\(maximumFileDescriptors)"),
        ]
    }
}
