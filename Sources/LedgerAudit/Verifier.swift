import Foundation
public import Logging
public import Postgres

/// Checks invariants 1–5 of PRODUCT.md §1 on the live database (`ledger verify`).
///
/// Every check runs in one `REPEATABLE READ READ ONLY` snapshot, so the numbers compared belong
/// to one state of the books. Per-account and per-transfer sums are SQL aggregates that return
/// only the rows that disagree; the hash chain is recomputed in Swift from a single-row-mode
/// stream of every entry in (account, sequence) order, so memory stays flat on millions of rows.
/// Each discrepancy goes to `report` as soon as it is found.
///
/// The chain is what catches a row changed behind the service's back: a superuser can disable
/// the append-only triggers for a session, but cannot make a changed entry hash to its stored
/// link, nor change a link without breaking the next one or the account's `chain_head`.
public struct Verifier: Sendable {
    public struct Configuration: Sendable {
        /// Discrepancies passed to `report`; past this they are only counted, so wholesale
        /// corruption cannot flood a terminal or a caller's memory.
        public var discrepanciesReportedMax = 10_000
        /// Entries between two progress reports of the chain check.
        public var progressEveryEntries = 100_000
        /// `work_mem` for this transaction's sorts and hash aggregates, in MiB.
        public var workMemoryMegabytes = 64

        public init() {}
    }

    let pool: PostgresPool
    let configuration: Configuration
    let logger: Logger

    public init(pool: PostgresPool, configuration: Configuration = .init(), logger: Logger) {
        precondition(configuration.discrepanciesReportedMax >= 0, "discrepanciesReportedMax must not be negative")
        precondition(configuration.progressEveryEntries > 0 && configuration.workMemoryMegabytes > 0, "limits must be positive")
        self.pool = pool
        self.configuration = configuration
        self.logger = logger
    }

    /// Runs every check and returns the counts; `report` receives each discrepancy (up to
    /// `discrepanciesReportedMax`) as it is found, on one of the pool's threads.
    /// - Throws: `PostgresError` when the database cannot be read; discrepancies are not errors.
    public func run(
        progress: (@Sendable (VerifyProgress) -> Void)? = nil,
        report: @escaping @Sendable (Discrepancy) -> Void
    ) async throws -> VerifyReport {
        let configuration = self.configuration
        let started = ContinuousClock.now
        let result = try await pool.withTransaction(
            .repeatableReadReadOnlyDeferrable, retry: RetryPolicy(attemptsMax: 1), logger: logger
        ) { connection in
            var sink = DiscrepancySink(reportedMax: configuration.discrepanciesReportedMax, report: report)
            var counts = VerifyReport()
            try connection.execute("SET LOCAL work_mem = '\(configuration.workMemoryMegabytes)MB'", step: "set work_mem")
            progress?(VerifyProgress(step: "append-only triggers", entriesChecked: 0))
            counts.triggersChecked = try Self.checkAppendOnlyGuards(on: connection, into: &sink)
            progress?(VerifyProgress(step: "conservation per currency", entriesChecked: 0))
            (counts.currenciesChecked, counts.accountsChecked) = try Self.checkConservation(on: connection, into: &sink)
            progress?(VerifyProgress(step: "account limits", entriesChecked: 0))
            try Self.checkLimits(on: connection, into: &sink)
            progress?(VerifyProgress(step: "balances against history", entriesChecked: 0))
            try Self.checkBalances(on: connection, into: &sink)
            progress?(VerifyProgress(step: "transfers against entries", entriesChecked: 0))
            counts.transfersChecked = try Self.checkTransferAccounts(on: connection, into: &sink)
            try Self.checkTransferEntries(on: connection, into: &sink)
            counts.entriesChecked = try Self.checkChains(
                on: connection, into: &sink, progressEvery: configuration.progressEveryEntries, progress: progress
            )
            counts.discrepancyCount = sink.count
            counts.discrepanciesByKind = sink.byKind
            counts.discrepanciesUnreported = sink.count - sink.reported
            return counts
        }
        let elapsed = ContinuousClock.now - started
        logger.info(
            "books verified",
            metadata: [
                "ledger.verify.discrepancies": "\(result.discrepancyCount)", "ledger.verify.entries": "\(result.entriesChecked)",
                "ledger.verify.duration": "\(elapsed)",
            ]
        )
        return result
    }
}

/// Counts discrepancies and passes the first `reportedMax` on.
struct DiscrepancySink {
    let reportedMax: Int
    let report: @Sendable (Discrepancy) -> Void
    var count = 0
    var reported = 0
    var byKind: [Discrepancy.Kind: Int] = [:]

    mutating func add(_ discrepancy: Discrepancy) {
        count += 1
        byKind[discrepancy.kind, default: 0] += 1
        if reported < reportedMax {
            reported += 1
            report(discrepancy)
        }
    }
}
