import Foundation
import LedgerCore
import LedgerStore
import LedgerTestSupport
import Logging
import Postgres

/// A migrated database with a running committer, torn down on every path.
struct StoreFixture {
    let database: TestDatabase
    let committer: Committer
    let reader: LedgerReader

    static func with<T>(
        label: String, configuration: Committer.Configuration = .init(), _ body: (StoreFixture) async throws -> T
    ) async throws -> T {
        try await TestDatabase.withCommitter(label: label, configuration: configuration) { database, committer in
            try await body(StoreFixture(database: database, committer: committer, reader: LedgerReader(pool: database.pool)))
        }
    }

    /// Submits one command and returns its result.
    @discardableResult
    func run(_ command: LedgerCommand) async throws -> Result<LedgerEffect, LedgerError> {
        guard case .completed(let results, _) = try await committer.submit(WriteRequest(commands: [command])) else {
            throw TestEnvironmentError(message: "a request without an idempotency key cannot be replayed")
        }
        return results[0]
    }

    func openAccount(_ currency: String = "USD", flags: AccountFlags = [], code: String? = nil) async throws -> UUID {
        let id = UUID.v7()
        let new = NewAccount(id: id, code: code, currency: Currency(currency)!, flags: flags, metadata: nil)
        _ = try await run(.createAccount(new)).get()
        return id
    }

    /// Everything in the books, for checking invariants against the whole database.
    func loadBooks() async throws -> (accounts: [Account], transfers: [Transfer], entries: [Entry], chainHeads: [UUID: [UInt8]]) {
        try await database.pool.withConnection { connection in
            var accounts: [Account] = []
            var heads: [UUID: [UInt8]] = [:]
            for row in try connection.query(
                "SELECT id, code, currency, flags, metadata, debits_pending, debits_posted, credits_pending, credits_posted, created_at, chain_head FROM accounts",
                step: "load accounts"
            ) {
                let account = Account(
                    id: try row.uuid(0), code: row.optionalString(1), currency: Currency(try row.string(2))!,
                    flags: AccountFlags(rawValue: try row.int(3)), metadata: row.optionalString(4), createdAt: try row.date(9),
                    balances: Balances(
                        debitsPending: try row.int128(5), debitsPosted: try row.int128(6),
                        creditsPending: try row.int128(7), creditsPosted: try row.int128(8)
                    )
                )
                accounts.append(account)
                heads[account.id] = try row.bytes(10)
            }
            var transfers: [Transfer] = []
            for row in try connection.query(
                "SELECT id, sequence, debit_account_id, credit_account_id, amount, currency, is_pending, status, posted_amount, created_at, resolved_at FROM transfers",
                step: "load transfers"
            ) {
                transfers.append(Transfer(
                    id: try row.uuid(0), debitAccountID: try row.uuid(2), creditAccountID: try row.uuid(3),
                    amount: try row.int64(4), currency: Currency(try row.string(5))!, isPending: try row.bool(6),
                    timeoutSeconds: nil, expiresAt: nil, description: nil, metadata: nil,
                    status: TransferStatus(rawValue: try row.string(7))!, postedAmount: try row.int64(8),
                    createdAt: try row.date(9), resolvedAt: row.isNull(10) ? nil : try row.date(10), sequence: try row.int64(1)
                ))
            }
            var entries: [Entry] = []
            for row in try connection.query(
                "SELECT sequence, account_id, transfer_id, direction, amount, balance_after, created_at, hash FROM entries ORDER BY sequence",
                step: "load entries"
            ) {
                entries.append(Entry(
                    sequence: try row.int64(0), accountID: try row.uuid(1), transferID: try row.uuid(2),
                    direction: EntryDirection(rawValue: try row.string(3))!, amount: try row.int64(4),
                    balanceAfter: try row.int128(5), createdAt: try row.date(6), hash: try row.bytes(7)
                ))
            }
            return (accounts, transfers, entries, heads)
        }
    }
}

/// Recomputes every account's hash chain from its entries (invariant 5).
func chainViolations(entries: [Entry], chainHeads: [UUID: [UInt8]]) -> [String] {
    var heads: [UUID: [UInt8]] = [:]
    var problems: [String] = []
    for entry in entries.sorted(by: { $0.sequence < $1.sequence }) {
        let previous = heads[entry.accountID] ?? Entry.genesisHash
        let expected = SHA256.hash(previous, entry.canonicalBytes)
        if expected != entry.hash { problems.append("entry \(entry.sequence) breaks the chain of \(entry.accountID)") }
        heads[entry.accountID] = entry.hash
    }
    for (account, head) in chainHeads where head != (heads[account] ?? Entry.genesisHash) {
        problems.append("account \(account) chain head does not match its last entry")
    }
    return problems
}
