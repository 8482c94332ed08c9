import Foundation

/// One line per JSON report, for comparing the runs of a benchmark matrix.
enum BenchSummary {
    static func table(paths: [String]) throws -> String {
        let decoder = JSONDecoder()
        var rows: [[String]] = [["run", "scenario", "load", "req/s", "transfers/s", "p50", "p90", "p99", "p99.9", "max", "errors", "books"]]
        for path in paths {
            let report = try decoder.decode(RunReport.self, from: Data(contentsOf: URL(fileURLWithPath: path)))
            let load = report.settings.ratePerSecond.map { "open \(Format.rate($0))/s" } ?? "closed c=\(report.settings.concurrency)"
            let serverErrors = report.statusCounts.filter { (Int($0.key) ?? 0) >= 500 }.values.reduce(0, +)
            let latency = report.latencyMicroseconds
            rows.append([
                URL(fileURLWithPath: path).deletingPathExtension().lastPathComponent,
                report.settings.scenario + (report.settings.batchSize.map { " ×\($0)" } ?? "")
                    + (report.settings.ids == IDOrder.timeOrdered.rawValue ? ", ordered ids" : ""),
                load,
                Format.rate(report.requestsPerSecond),
                Format.rate(report.transfersPerSecond),
                Format.latency(latency.p50), Format.latency(latency.p90), Format.latency(latency.p99),
                Format.latency(latency.p999), Format.latency(latency.max),
                "\(serverErrors + report.transportErrorsTotal)",
                report.books.map { $0.passed ? "passed" : "FAILED" } ?? "skipped",
            ])
        }
        let widths = (0..<rows[0].count).map { column in rows.map { $0[column].count }.max() ?? 0 }
        return rows.map { row in
            row.enumerated().map { column, text in
                column < 3 ? Format.pad(text, widths[column]) : Format.padLeft(text, widths[column])
            }.joined(separator: "  ")
        }.joined(separator: "\n")
    }
}
