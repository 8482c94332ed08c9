import LedgerAudit
import Logging
import Postgres
import Synchronization

/// Runs the ledger's own verifier (invariants 1–5 of PRODUCT.md §1) over the whole database
/// after the run, and condenses its report into the books check's terms.
func runLedgerVerifier(pool: PostgresPool, logger: Logger) async -> AuditOutcome {
    let found = DiscrepancySamples()
    var configuration = Verifier.Configuration()
    configuration.discrepanciesReportedMax = DiscrepancySamples.samplesMax
    do {
        let report = try await Verifier(pool: pool, configuration: configuration, logger: logger).run { discrepancy in
            found.add(discrepancy.description)
        }
        let scope = "\(report.accountsChecked) accounts, \(report.transfersChecked) transfers, \(report.entriesChecked) entries checked"
        if report.isSound {
            return .passed(scope)
        }
        let samples = found.samples.joined(separator: "; ")
        return .failed("\(report.discrepancyCount) discrepancies (\(scope)): \(samples)")
    } catch {
        return .failed("the verifier could not read the database: \(error)")
    }
}

/// The first few discrepancies, collected from the verifier's threads.
final class DiscrepancySamples: Sendable {
    static let samplesMax = 5
    private let stored = Mutex<[String]>([])

    func add(_ text: String) {
        self.stored.withLock { samples in
            if samples.count < Self.samplesMax {
                samples.append(text)
            }
        }
    }

    var samples: [String] { self.stored.withLock { $0 } }
}
