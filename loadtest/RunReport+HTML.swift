import Foundation

/// A self-contained HTML page: summary, latency over time, percentile distribution, counts
/// and the books check. Inline CSS and SVG only; it opens offline.
extension RunReport {
    func html() -> String {
        var body = ""
        let verdict = self.passed ? "passed" : "failed"
        body += "<h1>Load test: \(HTML.escape(self.settings.scenario)) <span class=\"badge \(verdict)\">\(verdict.uppercased())</span></h1>"
        body += "<p class=\"sub\">Started \(HTML.escape(self.startedAt)) · \(HTML.escape(self.modelText)) · \(Format.significant(self.settings.durationSeconds)) s measured"
            + " after \(Format.significant(self.settings.warmupSeconds)) s warm-up · seed \(self.settings.seed) · run \(HTML.escape(self.settings.runID))</p>"

        let latency = self.latencyMicroseconds
        body += "<div class=\"tiles\">"
        body += Self.tile("requests/s", Format.rate(self.requestsPerSecond), "\(self.requests) requests")
        body += Self.tile("transfers/s", Format.rate(self.transfersPerSecond), "\(self.transfersAcknowledged) acknowledged")
        body += Self.tile("p50", Format.latency(latency.p50), "median")
        body += Self.tile("p99", Format.latency(latency.p99), "p90 \(Format.latency(latency.p90))")
        body += Self.tile("p99.9", Format.latency(latency.p999), "max \(Format.latency(latency.max))")
        body += Self.tile("errors", "\(self.transportErrorsTotal + self.statusCounts.filter { (Int($0.key) ?? 0) >= 500 }.values.reduce(0, +))", "5xx and transport")
        body += "</div>"

        body += "<section>" + self.timelineChart().svg() + "</section>"
        body += "<section>" + self.throughputChart().svg() + "</section>"
        body += "<section>" + self.distributionChart().svg() + "</section>"

        body += "<section><h2>Counts</h2><table>"
        body += Self.row("status codes", RunReport.counts(self.statusCounts))
        body += Self.row("problem codes", RunReport.counts(self.problemCounts))
        body += Self.row("requests by kind", RunReport.counts(self.requestKinds))
        body += Self.row("retries", "\(self.retriesTotal)" + (self.retries.isEmpty ? "" : " — " + RunReport.counts(self.retries)))
        body += Self.row("transport errors", "\(self.transportErrorsTotal)" + (self.transportErrors.isEmpty ? "" : " — " + RunReport.counts(self.transportErrors)))
        body += Self.row("warm-up requests", "\(self.warmupRequests)")
        if self.settings.ratePerSecond != nil {
            body += Self.row("sent late (open loop)", "\(self.operationsDelayed)")
        }
        body += "</table></section>"

        body += "<section><h2>Books check</h2>"
        if let books = self.books {
            body += "<p>Read back by \(HTML.escape(books.method)): \(books.transfers) transfers (\(books.acknowledged) acknowledged, \(books.refused) refused,"
                + " \(books.notCommitted) not committed, \(books.unknown) unknown) across \(books.accounts) accounts.</p><table>"
            for check in books.checks {
                body += "<tr><td><span class=\"badge \(HTML.escape(check.outcome))\">\(HTML.escape(check.outcome))</span></td>"
                    + "<td>\(HTML.escape(check.name))</td><td>\(HTML.escape(check.detail))</td></tr>"
            }
            body += "</table>"
            if !books.unknownLanded.isEmpty || !books.unknownNotLanded.isEmpty {
                body += "<p>Unknown outcomes that landed: \(HTML.escape(books.unknownLanded.joined(separator: ", ")))<br>"
                    + "that did not land: \(HTML.escape(books.unknownNotLanded.joined(separator: ", ")))</p>"
            }
            if !books.violations.isEmpty {
                body += "<h3>Violations (\(books.violationCount))</h3><ul>"
                body += books.violations.map { "<li><code>\(HTML.escape($0))</code></li>" }.joined()
                body += "</ul>"
            }
        } else {
            body += "<p>Skipped.</p>"
        }
        body += "</section>"

        body += "<section><h2>Settings</h2><table>"
        body += Self.row("urls", self.settings.urls.joined(separator: ", "))
        body += Self.row("accounts", "\(self.settings.accounts) flagged + 1 source, funded \(self.settings.fundingAmount) each; amounts 1…\(self.settings.amountMax)")
        if let setup = self.setup {
            body += Self.row("set-up", "\(setup.accounts) accounts and \(setup.fundingTransfers) funding transfers (\(setup.fundingMode)) in \(Format.significant(setup.seconds)) s")
        }
        body += Self.row("retries per request", "\(self.settings.retriesMax)")
        body += "</table></section>"

        return """
        <!DOCTYPE html>
        <html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
        <title>Load test \(HTML.escape(self.settings.scenario)) — \(verdict)</title>
        <style>
        body { font: 15px/1.45 system-ui, -apple-system, "Segoe UI", sans-serif; margin: 2rem auto; max-width: 820px; color: #1d2433; padding: 0 1rem; }
        h1 { font-size: 1.5rem; margin-bottom: .2rem; } h2 { font-size: 1.15rem; margin-top: 2rem; }
        .sub { color: #5b6474; margin-top: 0; }
        .tiles { display: grid; grid-template-columns: repeat(3, 1fr); gap: .6rem; margin: 1.2rem 0; }
        .tile { border: 1px solid #dde2ea; border-radius: 8px; padding: .6rem .8rem; }
        .tile .label { color: #5b6474; font-size: .8rem; text-transform: uppercase; letter-spacing: .04em; }
        .tile .value { font-size: 1.4rem; font-weight: 600; } .tile .note { color: #5b6474; font-size: .8rem; }
        table { border-collapse: collapse; width: 100%; } td { border-top: 1px solid #e7eaf0; padding: .35rem .5rem; vertical-align: top; }
        td:first-child { white-space: nowrap; color: #3b4454; }
        .badge { display: inline-block; font-size: .75rem; font-weight: 700; padding: .1rem .45rem; border-radius: 4px; text-transform: uppercase; }
        .passed { background: #dcf5e3; color: #17652f; } .failed { background: #fbe0e0; color: #9b1c1c; } .skipped { background: #eceff3; color: #4a5363; }
        svg { width: 100%; height: auto; margin-top: 1rem; }
        svg .grid { stroke: #e7eaf0; stroke-width: 1; } svg .frame { fill: none; stroke: #b9c1cd; }
        svg .axis { font-size: 11px; fill: #5b6474; } svg .chart-title { font-size: 14px; font-weight: 600; fill: #1d2433; }
        code { font-size: .85rem; }
        </style></head><body>
        \(body)
        </body></html>
        """
    }

    private var modelText: String {
        if let rate = self.settings.ratePerSecond {
            return "open loop at \(Format.rate(rate)) req/s"
        }
        return "closed loop, \(self.settings.concurrency) connections"
    }

    func timelineChart() -> SVGLineChart {
        let points = self.timeline
        return SVGLineChart(
            title: "Latency over time (per second of the measured phase)",
            yUnit: "ms",
            xTicks: Self.secondTicks(points.count),
            series: [
                SVGLineChart.Series(name: "p50", color: "#2f6fde", points: points.map { (Double($0.second + 1), Double($0.p50Microseconds) / 1_000) }),
                SVGLineChart.Series(name: "p99", color: "#e0742c", points: points.map { (Double($0.second + 1), Double($0.p99Microseconds) / 1_000) }),
            ]
        )
    }

    func throughputChart() -> SVGLineChart {
        let points = self.timeline
        return SVGLineChart(
            title: "Throughput over time",
            yUnit: "/s",
            xTicks: Self.secondTicks(points.count),
            series: [
                SVGLineChart.Series(name: "requests", color: "#2f6fde", points: points.map { (Double($0.second + 1), Double($0.requests)) }),
                SVGLineChart.Series(name: "transfers", color: "#2e9e5b", points: points.map { (Double($0.second + 1), Double($0.transfers)) }),
            ]
        )
    }

    /// Latency by percentile on HdrHistogram's usual axis: each step right is ten times rarer.
    func distributionChart() -> SVGLineChart {
        // The 100th percentile lies at infinity on this axis; the maximum is shown in the tiles.
        let points = self.distribution.filter { $0.percentile < 100 }.map { point in
            (Self.percentileAxis(point.percentile), Double(point.microseconds) / 1_000)
        }
        let labels = ["0%", "90%", "99%", "99.9%", "99.99%", "99.999%"]
        let reach = Int((points.map(\.0).max() ?? 2).rounded(.up))
        return SVGLineChart(
            title: "Latency by percentile",
            yUnit: "ms",
            xTicks: (0...min(max(reach, 2), 5)).map { (Double($0), labels[$0]) },
            series: [SVGLineChart.Series(name: "latency", color: "#7a3fd1", points: points)]
        )
    }

    static func percentileAxis(_ percentile: Double) -> Double {
        let remaining = 1 - percentile / 100
        guard remaining > 1e-6 else { return 6 }
        return min(log10(1 / remaining), 6)
    }

    private static func secondTicks(_ count: Int) -> [(x: Double, label: String)] {
        guard count > 0 else { return [(0, "0 s"), (1, "1 s")] }
        let step = max(1, Int(SVGLineChart.niceCeiling(Double(count) / 8)))
        return stride(from: 0, through: count, by: step).map { (Double($0), "\($0) s") }
    }

    private static func tile(_ label: String, _ value: String, _ note: String) -> String {
        "<div class=\"tile\"><div class=\"label\">\(HTML.escape(label))</div><div class=\"value\">\(HTML.escape(value))</div><div class=\"note\">\(HTML.escape(note))</div></div>"
    }

    private static func row(_ name: String, _ value: String) -> String {
        "<tr><td>\(HTML.escape(name))</td><td>\(HTML.escape(value))</td></tr>"
    }
}
