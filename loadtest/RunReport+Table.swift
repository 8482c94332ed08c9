/// The plain-text table printed on stdout at the end of a run.
extension RunReport {
    func table() -> String {
        var lines: [String] = []
        let model: String
        if let rate = self.settings.ratePerSecond {
            model = "open loop, \(Format.rate(rate)) req/s, \(self.settings.concurrency) connections per URL"
        } else {
            model = "closed loop, \(self.settings.concurrency) connections per URL"
        }
        lines.append("loadtest: scenario \(self.settings.scenario), \(model), \(Format.significant(self.settings.durationSeconds)) s"
            + " (+\(Format.significant(self.settings.warmupSeconds)) s warm-up), seed \(self.settings.seed), run \(self.settings.runID)")
        lines.append("urls:     " + self.settings.urls.joined(separator: ", "))
        if let setup = self.setup {
            lines.append("set-up:   \(setup.accounts) accounts, \(setup.fundingTransfers) funding transfers (\(setup.fundingMode)) in \(Format.significant(setup.seconds)) s")
        }
        lines.append("")
        var rows: [(String, String)] = []
        rows.append(("requests", "\(self.requests) in \(Format.significant(self.elapsedSeconds)) s = \(Format.rate(self.requestsPerSecond)) req/s"
            + (self.warmupRequests > 0 ? " (\(self.warmupRequests) more in the warm-up)" : "")))
        rows.append(("transfers", "\(self.transfersAcknowledged) acknowledged = \(Format.rate(self.transfersPerSecond)) transfers/s"))
        let latency = self.latencyMicroseconds
        rows.append(("latency", "p50 \(Format.latency(latency.p50))  p90 \(Format.latency(latency.p90))  p99 \(Format.latency(latency.p99))"
            + "  p99.9 \(Format.latency(latency.p999))  max \(Format.latency(latency.max))"))
        rows.append(("status", Self.counts(self.statusCounts)))
        rows.append(("problems", Self.counts(self.problemCounts)))
        rows.append(("requests by kind", Self.counts(self.requestKinds)))
        rows.append(("retries", "\(self.retriesTotal)" + (self.retries.isEmpty ? "" : " (" + Self.counts(self.retries) + ")")))
        rows.append(("transport errors", "\(self.transportErrorsTotal)" + (self.transportErrors.isEmpty ? "" : " (" + Self.counts(self.transportErrors) + ")")))
        if self.settings.ratePerSecond != nil {
            rows.append(("sent late", "\(self.operationsDelayed) operations waited for an in-flight slot (latency counted from their intended time)"))
        }
        let width = rows.map(\.0.count).max() ?? 0
        for (name, value) in rows {
            lines.append(Format.pad(name, width) + "  " + value)
        }
        if let books = self.books {
            lines.append("")
            lines.append("books check (\(books.method)): \(books.transfers) transfers (\(books.acknowledged) acknowledged, \(books.refused) refused,"
                + " \(books.notCommitted) not committed, \(books.unknown) unknown), \(books.accounts) accounts")
            for check in books.checks {
                lines.append("  " + Format.pad(check.outcome.uppercased(), 7) + " " + check.name + ": " + check.detail)
            }
            if !books.unknownLanded.isEmpty {
                lines.append("  unknown outcomes that landed: " + Self.list(books.unknownLanded))
            }
            if !books.unknownNotLanded.isEmpty {
                lines.append("  unknown outcomes that did not land: " + Self.list(books.unknownNotLanded))
            }
            for violation in books.violations {
                lines.append("  violation: " + violation)
            }
            if books.violationCount > books.violations.count {
                lines.append("  … and \(books.violationCount - books.violations.count) more violations")
            }
        } else {
            lines.append("")
            lines.append("books check: skipped (--no-check)")
        }
        lines.append("")
        lines.append("result: " + (self.passed ? "PASSED" : "FAILED"))
        return lines.joined(separator: "\n")
    }

    /// Ids listed in the table at most; the JSON report keeps more.
    static let tableIDsMax = 5

    static func list(_ ids: [String]) -> String {
        let shown = ids.prefix(Self.tableIDsMax).joined(separator: ", ")
        return ids.count > Self.tableIDsMax ? shown + " (first \(Self.tableIDsMax) of \(ids.count) listed in --json)" : shown
    }

    /// "201 9800 · 422 200", largest first.
    static func counts(_ counts: [String: Int]) -> String {
        guard !counts.isEmpty else { return "-" }
        return counts.sorted { $0.value != $1.value ? $0.value > $1.value : $0.key < $1.key }
            .map { "\($0.key) \($0.value)" }
            .joined(separator: " · ")
    }
}
