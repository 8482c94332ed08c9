import Foundation
import Logging
import Postgres

/// The checks that read the database directly when `--database-url` is given: the transfers of
/// the run's accounts in one query, and the ledger's own verifier.
final class DatabaseChecks: Sendable {
    let pool: PostgresPool
    let logger: Logger

    /// One connection is enough: the books query is a single statement.
    static let connectionsMax = 2

    init(url: String, logger: Logger) {
        var configuration = PostgresConfiguration(url: url)
        configuration.connectionsMax = Self.connectionsMax
        configuration.applicationName = "loadtest"
        configuration.statementTimeout = .seconds(120)
        self.pool = PostgresPool(configuration: configuration, logger: logger)
        self.logger = logger
    }

    var transferLookup: any TransferLookup { DatabaseLookup(pool: self.pool) }

    func verify() async -> AuditOutcome {
        await runLedgerVerifier(pool: self.pool, logger: self.logger)
    }

    func close() async {
        await self.pool.close()
    }
}

/// Every transfer that touches the run's accounts, read in one query, so that the check also
/// sees transfers nobody acknowledged.
struct DatabaseLookup: TransferLookup {
    let pool: PostgresPool

    var method: String { "database" }

    func lookUp(ids: [UUID], accounts: [UUID]) async throws -> TransferLookupResult {
        let rows = try await self.pool.withConnection { connection in
            let rows = try connection.query(
                """
                SELECT id, debit_account_id, credit_account_id, amount, is_pending, status, posted_amount
                FROM transfers
                WHERE debit_account_id = ANY($1::uuid[]) OR credit_account_id = ANY($1::uuid[])
                """,
                [.array(accounts)],
                step: "loadtest books query"
            )
            return try rows.map { row in
                ObservedTransfer(
                    id: try row.uuid(0), debitAccountID: try row.uuid(1), creditAccountID: try row.uuid(2),
                    amount: try row.int64(3), pending: try row.bool(4), status: try row.string(5), postedAmount: try row.int64(6)
                )
            }
        }
        let wanted = Set(ids)
        var found: [UUID: ObservedTransfer] = [:]
        var others: [ObservedTransfer] = []
        var duplicated: [UUID] = []
        for transfer in rows {
            if found[transfer.id] != nil {
                duplicated.append(transfer.id)
            } else if wanted.contains(transfer.id) {
                found[transfer.id] = transfer
            } else {
                others.append(transfer)
            }
        }
        return TransferLookupResult(found: found, others: others, duplicated: duplicated)
    }
}
