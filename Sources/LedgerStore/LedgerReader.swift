public import Foundation
public import LedgerCore
public import Postgres

/// A page of a list and the cursor of the next page, if there is one.
public struct Page<Item: Sendable>: Sendable {
    public var items: [Item]
    public var nextCursor: String?

    public init(items: [Item], nextCursor: String?) {
        self.items = items
        self.nextCursor = nextCursor
    }
}

/// Reads of the books. Single-statement reads need no more than READ COMMITTED: each statement
/// sees one committed state, and the rows they return are never half-written.
public struct LedgerReader: Sendable {
    let pool: PostgresPool

    public init(pool: PostgresPool) {
        self.pool = pool
    }

    public func account(id: UUID) async throws -> Account? {
        try await pool.withConnection { connection in
            try connection.query("SELECT \(Columns.account) FROM accounts WHERE id = $1", [.init(id)], step: "read account")
                .first.map { try StoredAccount(row: $0).account }
        }
    }

    public func account(code: String) async throws -> Account? {
        try await pool.withConnection { connection in
            try connection.query("SELECT \(Columns.account) FROM accounts WHERE code = $1", [.init(code)], step: "read account")
                .first.map { try StoredAccount(row: $0).account }
        }
    }

    /// Accounts in id order (creation order for server-made ids), filtered by currency or code.
    public func accounts(currency: Currency?, code: String?, after cursor: String?, limit: Int) async throws -> Page<Account> {
        precondition((1...Limits.pageItemsMax).contains(limit), "page size out of range")
        let after = try cursor.map { try Cursor.decodeAccount($0) }
        let rows = try await pool.withConnection { connection in
            try connection.query(
                "SELECT \(Columns.account) FROM accounts"
                    + " WHERE ($1::text IS NULL OR currency = $1) AND ($2::text IS NULL OR code = $2)"
                    + " AND ($3::uuid IS NULL OR id > $3) ORDER BY id LIMIT $4",
                [.init(currency?.code), .init(code), after.map { .init($0) } ?? .null, .init(limit + 1)],
                step: "list accounts"
            )
        }
        var accounts = try rows.map { try StoredAccount(row: $0).account }
        let hasMore = accounts.count > limit
        if hasMore { accounts.removeLast() }
        return Page(items: accounts, nextCursor: hasMore ? accounts.last.map { Cursor.encodeAccount($0.id) } : nil)
    }

    public func transfer(id: UUID) async throws -> Transfer? {
        try await pool.withConnection { connection in
            try connection.query("SELECT \(Columns.transfer) FROM transfers WHERE id = $1", [.init(id)], step: "read transfer")
                .first.map { try Transfer(row: $0) }
        }
    }

    /// An account's posted entries with running balances, oldest first, in `[from, to)`.
    public func entries(accountID: UUID, from: Date?, to: Date?, after cursor: String?, limit: Int) async throws -> Page<Entry> {
        precondition((1...Limits.pageItemsMax).contains(limit), "page size out of range")
        let after = try cursor.map { try Cursor.decodeEntry($0) }
        let rows = try await pool.withConnection { connection in
            try connection.query(
                "SELECT \(Columns.entry) FROM entries WHERE account_id = $1"
                    + " AND ($2::timestamptz IS NULL OR created_at >= $2) AND ($3::timestamptz IS NULL OR created_at < $3)"
                    + " AND ($4::timestamptz IS NULL OR (created_at, sequence) > ($4, $5::bigint))"
                    + " ORDER BY created_at, sequence LIMIT $6",
                [
                    .init(accountID), from.map { .init($0) } ?? .null, to.map { .init($0) } ?? .null,
                    after.map { .init($0.createdAt) } ?? .null, after.map { .init($0.sequence) } ?? .null, .init(limit + 1),
                ],
                step: "list entries"
            )
        }
        var entries = try rows.map { try Entry(row: $0) }
        let hasMore = entries.count > limit
        if hasMore { entries.removeLast() }
        return Page(items: entries, nextCursor: hasMore ? entries.last.map { Cursor.encodeEntry($0) } : nil)
    }

    /// An account's balances as they stood at `instant`: posted sums of its entries up to then,
    /// and pending holds created by then and not yet resolved at that time. Nil if the account
    /// does not exist. One statement, so one consistent snapshot.
    public func balances(accountID: UUID, asOf instant: Date) async throws -> Balances? {
        let rows = try await pool.withConnection { connection in
            try connection.query(
                """
                SELECT
                  (SELECT coalesce(sum(amount), 0) FROM transfers WHERE debit_account_id = a.id AND is_pending
                     AND created_at <= $2 AND (resolved_at IS NULL OR resolved_at > $2)),
                  (SELECT coalesce(sum(amount), 0) FROM entries WHERE account_id = a.id AND direction = 'debit' AND created_at <= $2),
                  (SELECT coalesce(sum(amount), 0) FROM transfers WHERE credit_account_id = a.id AND is_pending
                     AND created_at <= $2 AND (resolved_at IS NULL OR resolved_at > $2)),
                  (SELECT coalesce(sum(amount), 0) FROM entries WHERE account_id = a.id AND direction = 'credit' AND created_at <= $2)
                FROM accounts a WHERE a.id = $1
                """,
                [.init(accountID), .init(instant)],
                step: "balances as of"
            )
        }
        return try rows.first.map { row in
            Balances(
                debitsPending: try row.int128(0), debitsPosted: try row.int128(1),
                creditsPending: try row.int128(2), creditsPosted: try row.int128(3)
            )
        }
    }

    /// Ids of pending transfers whose timeout has passed, oldest first.
    public func duePendingTransfers(limit: Int) async throws -> [UUID] {
        try await pool.withConnection { connection in
            try connection.query(
                "SELECT id FROM transfers WHERE status = 'pending' AND expires_at <= clock_timestamp() ORDER BY expires_at LIMIT $1",
                [.init(limit)], step: "due pending transfers"
            ).map { try $0.uuid(0) }
        }
    }
}

/// Opaque page cursors. They are base64url so clients treat them as tokens, not as ids.
enum Cursor {
    static func encodeAccount(_ id: UUID) -> String {
        encode("a:\(id.lowercasedString)")
    }

    static func decodeAccount(_ cursor: String) throws -> UUID {
        guard let text = decode(cursor), text.hasPrefix("a:"), let id = UUID(canonical: text.dropFirst(2)) else {
            throw LedgerError.validation("cursor is not one this service issued", field: "cursor")
        }
        return id
    }

    static func encodeEntry(_ entry: Entry) -> String {
        encode("e:\(entry.createdAt.microsecondsSinceEpoch):\(entry.sequence)")
    }

    static func decodeEntry(_ cursor: String) throws -> (createdAt: Date, sequence: Int64) {
        guard let text = decode(cursor), text.hasPrefix("e:") else {
            throw LedgerError.validation("cursor is not one this service issued", field: "cursor")
        }
        let parts = text.dropFirst(2).split(separator: ":")
        guard parts.count == 2, let micros = Int64(parts[0]), let sequence = Int64(parts[1]) else {
            throw LedgerError.validation("cursor is not one this service issued", field: "cursor")
        }
        return (Date(microsecondsSinceEpoch: micros), sequence)
    }

    private static func encode(_ text: String) -> String {
        Data(text.utf8).base64EncodedString()
            .replacingOccurrences(of: "+", with: "-").replacingOccurrences(of: "/", with: "_")
            .replacingOccurrences(of: "=", with: "")
    }

    private static func decode(_ cursor: String) -> String? {
        guard cursor.utf8.count <= 128 else { return nil }
        var base64 = cursor.replacingOccurrences(of: "-", with: "+").replacingOccurrences(of: "_", with: "/")
        base64 += String(repeating: "=", count: (4 - base64.count % 4) % 4)
        return Data(base64Encoded: base64).flatMap { String(data: $0, encoding: .utf8) }
    }
}
