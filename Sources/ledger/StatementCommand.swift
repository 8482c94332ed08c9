import ArgumentParser
import Foundation
#if canImport(Glibc)
import Glibc
#endif
import LedgerAudit
import Logging
import Postgres

struct StatementCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "statement",
        abstract: "Export an account's statement for a period as CSV, JSON or ISO 20022 camt.053.",
        discussion: """
            One consistent snapshot: the opening balance, every posted entry of the period in \
            sequence order with its running balance, the closing balance, and the debit and \
            credit totals. Amounts are minor units in CSV and JSON, decimals in camt.053. \
            DATE is a UTC day YYYY-MM-DD (a --to day is included) or an RFC 3339 instant \
            (a --to instant is excluded). Specs/STATEMENTS.md describes the formats.
            Exit status: 0 written; 1 the stored balances do not add up (run `ledger verify`); \
            2 bad input or the export failed (no --output file is left behind).
            """
    )

    @OptionGroup var connection: ConnectionOptions

    @Option(help: ArgumentHelp("The account's id (UUID) or code.", valueName: "ID|CODE"))
    var account: String

    @Option(help: ArgumentHelp("The period's first day or instant.", valueName: "DATE"))
    var from: String

    @Option(help: ArgumentHelp("The period's last day (included) or end instant (excluded).", valueName: "DATE"))
    var to: String

    @Option(help: ArgumentHelp("csv, json or camt053.", valueName: "csv|json|camt053"))
    var format: String

    @Option(help: ArgumentHelp("Write here, all or nothing, instead of standard output.", valueName: "F"))
    var output: String?

    /// For the benchmark where /usr/bin/time is missing: the process's peak RSS on exit.
    @Flag(name: .customLong("report-peak-memory"), help: ArgumentHelp(visibility: .private))
    var reportPeakMemory = false

    func run() async throws {
        defer { if reportPeakMemory { Self.printPeakMemory() } }
        // A progress line would tear through a statement printed on the same terminal.
        let progress = ProgressLine(enabled: isatty(2) == 1 && (output != nil || isatty(1) != 1))
        do {
            try await export(progress: progress)
        } catch {
            progress.clear()
            let status: Int32 = (error as? AuditError)?.kind == .inconsistentBooks ? 1 : 2
            FileHandle.standardError.write(Data("ledger statement: error: \(AuditError.oneLine(error))\n".utf8))
            throw ExitCode(status)
        }
    }

    private func export(progress: ProgressLine) async throws {
        // Input is checked before anything touches the database or the file system.
        let reference = try AccountReference(account)
        let period = try StatementPeriod.parse(from: from, to: to)
        let format = try StatementFormat(parsing: format)
        let file = try output.map { path throws(AuditError) in try AtomicFileOutput(path: path) }
        let logger = connection.makeLogger(label: "ledger.statement")
        let pool: PostgresPool
        do {
            pool = try connection.makePool(logger: logger)
        } catch {
            file?.discard()
            throw error
        }
        do {
            let exporter = StatementExporter(pool: pool, logger: logger)
            let report: @Sendable (StatementProgress) -> Void = { step in
                let percent = step.linesTotal == 0 ? 100 : step.linesWritten * 100 / step.linesTotal
                progress.update("statement: \(step.linesWritten) / \(step.linesTotal) entries (\(percent)%)")
            }
            let statement: Statement
            if let file {
                statement = try await exporter.export(account: reference, period: period, format: format, to: file, progress: report)
                try file.commit()
            } else {
                statement = try await exporter.export(
                    account: reference, period: period, format: format, to: FileDescriptorOutput.standardOutput, progress: report
                )
            }
            progress.update("statement: \(statement.lineCount) / \(statement.lineCount) entries (100%)", force: true)
            progress.finish()
            await pool.close()
            if let output {
                FileHandle.standardError.write(Data(
                    "ledger statement: \(statement.lineCount) entries, opening \(statement.openingBalance), closing \(statement.closingBalance) (minor units) → \(output)\n".utf8
                ))
            }
        } catch {
            file?.discard()
            await pool.close()
            throw error
        }
    }

    /// VmHWM, the resident set's high-water mark, from /proc/self/status (Linux).
    private static func printPeakMemory() {
        guard let status = try? String(contentsOfFile: "/proc/self/status", encoding: .utf8),
            let line = status.split(separator: "\n").first(where: { $0.hasPrefix("VmHWM:") })
        else { return }
        let kilobytes = line.dropFirst("VmHWM:".count).trimmingCharacters(in: .whitespaces)
        FileHandle.standardError.write(Data("ledger statement: peak RSS \(kilobytes)\n".utf8))
    }
}
