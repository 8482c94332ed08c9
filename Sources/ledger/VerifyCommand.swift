import ArgumentParser
import Foundation
import LedgerAudit
import Logging
import Postgres

struct VerifyCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "verify",
        abstract: "Check invariants 1–5 on the database and print each discrepancy with the ids involved.",
        discussion: """
            Checks conservation per currency, every account's balances against its entries and \
            transfers, every transfer's entries, account limits, the append-only triggers, and \
            recomputes every entry's hash chain link and every account's chain head. One line \
            per discrepancy on standard output, then a summary.
            Exit status: 0 the books are sound; 1 discrepancies found; 2 the check could not run.
            """
    )

    @OptionGroup var connection: ConnectionOptions

    @Option(name: .customLong("max-discrepancies"), help: "Print at most this many discrepancies; the rest are counted.")
    var maxDiscrepancies = 10_000

    func validate() throws {
        guard maxDiscrepancies >= 0 else { throw ValidationError("--max-discrepancies must not be negative") }
    }

    func run() async throws {
        let progress = ProgressLine()
        let report: VerifyReport
        do {
            report = try await verify(progress: progress)
        } catch {
            progress.clear()
            FileHandle.standardError.write(Data("ledger verify: error: \(AuditError.oneLine(error))\n".utf8))
            throw ExitCode(2)
        }
        progress.clear()
        let checked = "\(report.accountsChecked) accounts, \(report.transfersChecked) transfers, \(report.entriesChecked) entries, \(report.currenciesChecked) currencies, \(report.triggersChecked) triggers checked"
        guard !report.isSound else {
            print("books are sound: \(checked)")
            return
        }
        let kinds = report.discrepanciesByKind.sorted { $0.key.rawValue < $1.key.rawValue }
            .map { "\($0.key.rawValue) \($0.value)" }.joined(separator: ", ")
        var summary = "books are NOT sound: \(report.discrepancyCount) discrepancies (\(kinds)); \(checked)"
        if report.discrepanciesUnreported > 0 {
            summary += "; \(report.discrepanciesUnreported) not printed (--max-discrepancies)"
        }
        print(summary)
        throw ExitCode(1)
    }

    private func verify(progress: ProgressLine) async throws -> VerifyReport {
        let logger = connection.makeLogger(label: "ledger.verify")
        let pool = try connection.makePool(logger: logger)
        var configuration = Verifier.Configuration()
        configuration.discrepanciesReportedMax = maxDiscrepancies
        do {
            let report = try await Verifier(pool: pool, configuration: configuration, logger: logger).run(
                progress: { step in
                    progress.update("verify: \(step.step), \(step.entriesChecked) entries chained")
                },
                report: { discrepancy in
                    progress.clear()
                    print(discrepancy.description)
                }
            )
            await pool.close()
            return report
        } catch {
            await pool.close()
            throw error
        }
    }
}
