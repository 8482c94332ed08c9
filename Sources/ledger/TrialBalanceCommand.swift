import ArgumentParser
import Foundation
import LedgerAudit
import Logging
import Postgres

struct TrialBalanceCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "trial-balance",
        abstract: "Per currency, the sums of debits and credits, posted and pending; they must match.",
        discussion: """
            Without --as-of, sums the accounts' balances now. With --as-of T (an RFC 3339 instant, \
            or a UTC day YYYY-MM-DD meaning its end), recomputes them from the entries and \
            transfers as they stood at T. Amounts are in minor units.
            Exit status: 0 balanced; 1 some currency is unbalanced; 2 bad input or the database failed.
            """
    )

    @OptionGroup var connection: ConnectionOptions

    @Option(name: .customLong("as-of"), help: ArgumentHelp("The instant or day to compute the balance at.", valueName: "T"))
    var asOf: String?

    func run() async throws {
        let report: TrialBalanceReport
        do {
            report = try await compute()
        } catch {
            FileHandle.standardError.write(Data("ledger trial-balance: error: \(AuditError.oneLine(error))\n".utf8))
            throw ExitCode(2)
        }
        if report.rows.isEmpty {
            print("no accounts\(report.asOf == nil ? "" : " as of that time")")
        } else {
            print(report.table)
        }
        guard report.isBalanced else {
            FileHandle.standardError.write(Data("ledger trial-balance: debits and credits differ: run `ledger verify`\n".utf8))
            throw ExitCode(1)
        }
    }

    private func compute() async throws -> TrialBalanceReport {
        let instant = try asOf.map { text throws(AuditError) in try TrialBalance.parseAsOf(text) }
        let logger = connection.makeLogger(label: "ledger.trial-balance")
        let pool = try connection.makePool(logger: logger)
        do {
            let report = try await TrialBalance(pool: pool, logger: logger).run(asOf: instant)
            await pool.close()
            return report
        } catch {
            await pool.close()
            throw error
        }
    }
}
