// The text GET /metrics answers with.

import Prometheus

/// Writes a registry in Prometheus's text format with a `# HELP` line before each family's
/// `# TYPE` line (from ``MetricCatalog``), followed by the process's own figures
/// (``ProcessMetrics``).
public enum MetricsExposition {
    /// The whole exposition.
    public static func text(registry: PrometheusCollectorRegistry, process: ProcessMetrics? = .current()) -> String {
        var output = ""
        for line in String(decoding: registry.emitToBuffer(), as: UTF8.self).split(separator: "\n", omittingEmptySubsequences: true) {
            if line.hasPrefix("# TYPE "), let name = line.dropFirst(7).split(separator: " ").first, let help = MetricCatalog.help[String(name)] {
                output += "# HELP \(name) \(help)\n"
            }
            output += line + "\n"
        }
        for (family, value) in process?.samples ?? [] {
            let kind = MetricCatalog.families.first { $0.name == family }?.kind ?? .gauge
            output += "# HELP \(family) \(MetricCatalog.help[family] ?? "")\n# TYPE \(family) \(kind.rawValue)\n\(family) \(value)\n"
        }
        return output
    }
}
