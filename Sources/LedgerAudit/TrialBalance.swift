public import Foundation
import LedgerCore
public import Logging
public import Postgres

/// Per currency, the sums of debits and credits, posted and pending (`ledger trial-balance`).
///
/// Now: the sums of the accounts' stored balances. As of an instant: recomputed from history
/// as it stood then, posted from entries booked by then and pending from transfers created by
/// then and not yet resolved, each side counted in its account's currency.
public struct TrialBalance: Sendable {
    let pool: PostgresPool
    let logger: Logger

    public init(pool: PostgresPool, logger: Logger) {
        self.pool = pool
        self.logger = logger
    }

    /// - Parameter asOf: include what was booked at or before this instant; nil for now.
    public func run(asOf: Date? = nil) async throws -> TrialBalanceReport {
        let rows = try await pool.withConnection { connection in
            if let asOf {
                try connection.query(Self.asOfQuery, [.init(asOf)], step: "trial balance as of")
            } else {
                try connection.query(Self.currentQuery, step: "trial balance")
            }
        }
        var report = TrialBalanceReport(asOf: asOf, rows: [])
        for row in rows {
            report.rows.append(
                TrialBalanceReport.Row(
                    currency: try row.string(0),
                    debitsPosted: try row.int128(1), creditsPosted: try row.int128(2),
                    debitsPending: try row.int128(3), creditsPending: try row.int128(4)
                )
            )
        }
        logger.debug("trial balance computed", metadata: ["ledger.trial_balance.currencies": "\(report.rows.count)"])
        return report
    }

    /// Parses `--as-of`: an RFC 3339 instant, or a UTC day `YYYY-MM-DD` meaning its end
    /// (everything booked that day is included).
    public static func parseAsOf(_ text: String) throws(AuditError) -> Date {
        if let day = RFC3339.parseDay(text) {
            return Date(microsecondsSinceEpoch: day + RFC3339.secondsPerDay * RFC3339.microsecondsPerSecond - 1)
        }
        if let instant = RFC3339.parseInstant(text) {
            return Date(microsecondsSinceEpoch: instant)
        }
        throw AuditError(.invalidInput, "--as-of \(text.debugDescription) is neither a date YYYY-MM-DD nor an RFC 3339 timestamp")
    }

    static let currentQuery = """
        SELECT currency, sum(debits_posted), sum(credits_posted), sum(debits_pending), sum(credits_pending)
        FROM accounts GROUP BY currency ORDER BY currency
        """

    static let asOfQuery = """
        WITH posted AS (
            SELECT a.currency,
                   coalesce(sum(e.amount) FILTER (WHERE e.direction = 'debit'), 0) AS debits,
                   coalesce(sum(e.amount) FILTER (WHERE e.direction = 'credit'), 0) AS credits
            FROM entries e JOIN accounts a ON a.id = e.account_id
            WHERE e.created_at <= $1
            GROUP BY a.currency
        ),
        held AS (
            SELECT amount, debit_account_id, credit_account_id FROM transfers
            WHERE is_pending AND created_at <= $1 AND (resolved_at IS NULL OR resolved_at > $1)
        ),
        pending_debits AS (
            SELECT a.currency, sum(h.amount) AS amount FROM held h JOIN accounts a ON a.id = h.debit_account_id GROUP BY a.currency
        ),
        pending_credits AS (
            SELECT a.currency, sum(h.amount) AS amount FROM held h JOIN accounts a ON a.id = h.credit_account_id GROUP BY a.currency
        ),
        currencies AS (
            SELECT currency FROM posted UNION SELECT currency FROM pending_debits UNION SELECT currency FROM pending_credits
        )
        SELECT c.currency, coalesce(p.debits, 0), coalesce(p.credits, 0), coalesce(pd.amount, 0), coalesce(pc.amount, 0)
        FROM currencies c
        LEFT JOIN posted p ON p.currency = c.currency
        LEFT JOIN pending_debits pd ON pd.currency = c.currency
        LEFT JOIN pending_credits pc ON pc.currency = c.currency
        ORDER BY c.currency
        """
}
