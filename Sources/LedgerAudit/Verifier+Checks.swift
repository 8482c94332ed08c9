import Foundation
import LedgerCore
import Postgres

/// The set-based checks: each asks Postgres for the rows that disagree, never for every row.
extension Verifier {
    /// A trigger the migrations create to keep history append-only (invariant 4, 0001) or to
    /// refuse dangling references (0005, in place of per-row foreign keys).
    struct GuardTrigger: Sendable {
        var table: String
        var name: String
        var function: String
        /// `pg_trigger.tgtype` bits it must have: 1 row, 2 before, 4 insert, 8 delete, 16 update,
        /// 32 truncate.
        var typeBits: Int
    }

    static let guardTriggers: [GuardTrigger] = [
        GuardTrigger(table: "entries", name: "entries_append_only", function: "ledger_refuse_change", typeBits: 1 | 2 | 8 | 16),
        GuardTrigger(table: "entries", name: "entries_no_truncate", function: "ledger_refuse_change", typeBits: 2 | 32),
        GuardTrigger(table: "transfers", name: "transfers_no_delete", function: "ledger_refuse_change", typeBits: 1 | 2 | 8),
        GuardTrigger(table: "transfers", name: "transfers_no_truncate", function: "ledger_refuse_change", typeBits: 2 | 32),
        GuardTrigger(table: "transfers", name: "transfers_append_only", function: "transfers_guard_update", typeBits: 1 | 2 | 16),
        GuardTrigger(table: "accounts", name: "accounts_no_delete", function: "ledger_refuse_change", typeBits: 1 | 2 | 8),
        GuardTrigger(table: "accounts", name: "accounts_no_truncate", function: "ledger_refuse_change", typeBits: 2 | 32),
        GuardTrigger(table: "accounts", name: "accounts_immutable_identity", function: "accounts_guard_update", typeBits: 1 | 2 | 16),
        GuardTrigger(table: "transfers", name: "transfers_reference_accounts", function: "transfers_check_accounts", typeBits: 4),
        GuardTrigger(table: "entries", name: "entries_reference_rows", function: "entries_check_references", typeBits: 4),
    ]

    /// Invariant 4: every guard trigger exists on its table, fires in normal sessions (enabled
    /// `O`rigin or `A`lways), calls a function that still raises, and this session does not run
    /// with triggers switched off by a database or role default.
    static func checkAppendOnlyGuards(on connection: PostgresConnection, into sink: inout DiscrepancySink) throws -> Int {
        let rows = try connection.query(
            """
            SELECT c.relname, t.tgname, t.tgenabled::text, p.proname, t.tgtype::int,
                   p.prosrc LIKE '%RAISE EXCEPTION%'
            FROM pg_trigger t
            JOIN pg_class c ON c.oid = t.tgrelid
            JOIN pg_proc p ON p.oid = t.tgfoid
            WHERE NOT t.tgisinternal AND t.tgrelid IN ('accounts'::regclass, 'transfers'::regclass, 'entries'::regclass)
            """,
            step: "read append-only triggers"
        )
        var found: [String: (table: String, enabled: String, function: String, type: Int, raises: Bool)] = [:]
        for row in rows {
            found[try row.string(1)] = (try row.string(0), try row.string(2), try row.string(3), try row.int(4), try row.bool(5))
        }
        for expected in guardTriggers {
            guard let trigger = found[expected.name], trigger.table == expected.table else {
                sink.add(Discrepancy(.appendOnlyGuard, detail: "trigger \(expected.name) on \(expected.table) is missing"))
                continue
            }
            if trigger.enabled != "O" && trigger.enabled != "A" {
                sink.add(Discrepancy(.appendOnlyGuard, detail: "trigger \(expected.name) on \(expected.table) is disabled (tgenabled \(trigger.enabled))"))
            }
            if trigger.function != expected.function || !trigger.raises {
                sink.add(Discrepancy(.appendOnlyGuard, detail: "trigger \(expected.name) on \(expected.table) calls \(trigger.function), which is not the guard \(expected.function) that raises"))
            }
            if trigger.type & expected.typeBits != expected.typeBits {
                sink.add(Discrepancy(.appendOnlyGuard, detail: "trigger \(expected.name) on \(expected.table) no longer fires on every change it guards (tgtype \(trigger.type))"))
            }
        }
        let role = try connection.query("SELECT current_setting('session_replication_role')", step: "read session_replication_role")
        if let value = role.first?.optionalString(0), value != "origin" {
            sink.add(Discrepancy(.appendOnlyGuard, detail: "sessions start with session_replication_role = \(value), which switches the guard triggers off"))
        }
        return guardTriggers.count
    }

    /// Invariant 1: per currency, Σ debits = Σ credits, posted and pending. Returns the number of
    /// currencies and of accounts.
    static func checkConservation(on connection: PostgresConnection, into sink: inout DiscrepancySink) throws -> (Int, Int) {
        let rows = try connection.query(
            """
            SELECT currency, count(*), sum(debits_posted), sum(credits_posted), sum(debits_pending), sum(credits_pending)
            FROM accounts GROUP BY currency ORDER BY currency
            """,
            step: "sum balances per currency"
        )
        var accounts = 0
        for row in rows {
            let currency = try row.string(0)
            accounts += try row.int(1)
            let (debitsPosted, creditsPosted) = (try row.int128(2), try row.int128(3))
            let (debitsPending, creditsPending) = (try row.int128(4), try row.int128(5))
            if debitsPosted != creditsPosted {
                sink.add(Discrepancy(.currencyUnbalanced, currency: currency, detail: "posted debits \(debitsPosted) ≠ posted credits \(creditsPosted)"))
            }
            if debitsPending != creditsPending {
                sink.add(Discrepancy(.currencyUnbalanced, currency: currency, detail: "pending debits \(debitsPending) ≠ pending credits \(creditsPending)"))
            }
        }
        return (rows.count, accounts)
    }

    /// Invariant 3, counting pending amounts.
    static func checkLimits(on connection: PostgresConnection, into sink: inout DiscrepancySink) throws {
        try connection.forEachRow(
            """
            SELECT id, flags, debits_pending, debits_posted, credits_pending, credits_posted FROM accounts
            WHERE flags NOT IN (0, 1, 2)
               OR (flags & 1 <> 0 AND debits_pending + debits_posted > credits_posted)
               OR (flags & 2 <> 0 AND credits_pending + credits_posted > debits_posted)
            ORDER BY id
            """,
            step: "accounts past their limits"
        ) { row in
            let flags = try row.int(1)
            let balances = "debits pending \(try row.int128(2)) + posted \(try row.int128(3)), credits pending \(try row.int128(4)) + posted \(try row.int128(5))"
            let rule = switch flags {
            case 1: "debits must not exceed credits"
            case 2: "credits must not exceed debits"
            default: "flags \(flags) are not a known combination"
            }
            sink.add(Discrepancy(.limitExceeded, accountID: try row.uuid(0), detail: "\(rule), but \(balances)"))
        }
    }

    /// Invariant 2: each account's four balances against the sums of its entries (posted) and of
    /// its pending transfers, and no history naming an account that does not exist.
    static func checkBalances(on connection: PostgresConnection, into sink: inout DiscrepancySink) throws {
        try connection.forEachRow(
            """
            SELECT id, bool_or(stored),
                   sum(s_dp), sum(s_dpo), sum(s_cp), sum(s_cpo), sum(h_dp), sum(h_dpo), sum(h_cp), sum(h_cpo)
            FROM (
                SELECT id, true AS stored,
                       debits_pending::numeric AS s_dp, debits_posted::numeric AS s_dpo,
                       credits_pending::numeric AS s_cp, credits_posted::numeric AS s_cpo,
                       0::numeric AS h_dp, 0::numeric AS h_dpo, 0::numeric AS h_cp, 0::numeric AS h_cpo
                FROM accounts
                UNION ALL
                SELECT account_id, false, 0, 0, 0, 0,
                       0, sum(amount) FILTER (WHERE direction = 'debit'), 0, sum(amount) FILTER (WHERE direction = 'credit')
                FROM entries GROUP BY account_id
                UNION ALL
                SELECT debit_account_id, false, 0, 0, 0, 0, sum(amount), 0, 0, 0
                FROM transfers WHERE status = 'pending' GROUP BY debit_account_id
                UNION ALL
                SELECT credit_account_id, false, 0, 0, 0, 0, 0, 0, sum(amount), 0
                FROM transfers WHERE status = 'pending' GROUP BY credit_account_id
            ) AS balances
            GROUP BY id
            HAVING NOT bool_or(stored)
                OR (coalesce(sum(s_dp), 0), coalesce(sum(s_dpo), 0), coalesce(sum(s_cp), 0), coalesce(sum(s_cpo), 0))
                   <> (coalesce(sum(h_dp), 0), coalesce(sum(h_dpo), 0), coalesce(sum(h_cp), 0), coalesce(sum(h_cpo), 0))
            ORDER BY id
            """,
            step: "balances against history"
        ) { row in
            let accountID = try row.uuid(0)
            guard try row.bool(1) else {
                sink.add(Discrepancy(.unknownAccount, accountID: accountID, detail: "entries or pending transfers name this account, which does not exist"))
                return
            }
            let values = try (2...9).map { index in row.isNull(index) ? Int128(0) : try row.int128(index) }
            let names = ["debits_pending", "debits_posted", "credits_pending", "credits_posted"]
            let differences = (0..<4).filter { values[$0] != values[$0 + 4] }.map { index in
                "\(names[index]) is \(values[index]) but its history sums to \(values[index + 4])"
            }
            sink.add(Discrepancy(.accountBalanceMismatch, accountID: accountID, detail: differences.joined(separator: "; ")))
        }
    }

    /// Invariant 2: both accounts of every transfer exist and hold its currency. Returns the
    /// number of transfers.
    static func checkTransferAccounts(on connection: PostgresConnection, into sink: inout DiscrepancySink) throws -> Int {
        try connection.forEachRow(
            """
            SELECT t.id, t.currency, t.debit_account_id, d.currency, t.credit_account_id, c.currency
            FROM transfers t
            LEFT JOIN accounts d ON d.id = t.debit_account_id
            LEFT JOIN accounts c ON c.id = t.credit_account_id
            WHERE d.currency IS DISTINCT FROM t.currency OR c.currency IS DISTINCT FROM t.currency
            ORDER BY t.id
            """,
            step: "transfers against their accounts"
        ) { row in
            let transferID = try row.uuid(0)
            let currency = try row.string(1)
            for (side, idColumn, currencyColumn) in [("debit", 2, 3), ("credit", 4, 5)] {
                let accountID = try row.uuid(idColumn)
                if let held = row.optionalString(currencyColumn) {
                    if held != currency {
                        sink.add(Discrepancy(.transferAccountsMismatch, accountID: accountID, transferID: transferID, currency: currency, detail: "the \(side) account holds \(held), not the transfer's \(currency)"))
                    }
                } else {
                    sink.add(Discrepancy(.transferAccountsMismatch, accountID: accountID, transferID: transferID, currency: currency, detail: "the \(side) account does not exist"))
                }
            }
        }
        let count = try connection.query("SELECT count(*) FROM transfers", step: "count transfers")
        return try count.first?.int(0) ?? 0
    }

    /// Invariant 2: a posted transfer has exactly one debit entry on its debit account and one
    /// credit entry on its credit account, each of `posted_amount`; any other transfer has none;
    /// and no entry names a transfer that does not exist.
    static func checkTransferEntries(on connection: PostgresConnection, into sink: inout DiscrepancySink) throws {
        try connection.forEachRow(
            """
            WITH sides AS (
                SELECT transfer_id,
                       count(*) FILTER (WHERE direction = 'debit') AS debit_count,
                       count(*) FILTER (WHERE direction = 'credit') AS credit_count,
                       (array_agg(account_id) FILTER (WHERE direction = 'debit'))[1] AS debit_account,
                       (array_agg(account_id) FILTER (WHERE direction = 'credit'))[1] AS credit_account,
                       sum(amount) FILTER (WHERE direction = 'debit') AS debit_amount,
                       sum(amount) FILTER (WHERE direction = 'credit') AS credit_amount,
                       min(sequence) AS first_sequence
                FROM entries GROUP BY transfer_id
            )
            SELECT coalesce(t.id, s.transfer_id), t.id IS NOT NULL, t.status, t.posted_amount,
                   t.debit_account_id, t.credit_account_id,
                   coalesce(s.debit_count, 0), coalesce(s.credit_count, 0),
                   s.debit_account, s.credit_account, s.debit_amount, s.credit_amount, s.first_sequence
            FROM transfers t FULL JOIN sides s ON s.transfer_id = t.id
            WHERE t.id IS NULL
               OR (t.status = 'posted' AND NOT (
                      coalesce(s.debit_count, 0) = 1 AND coalesce(s.credit_count, 0) = 1
                      AND s.debit_amount = t.posted_amount AND s.credit_amount = t.posted_amount
                      AND s.debit_account = t.debit_account_id AND s.credit_account = t.credit_account_id))
               OR (t.status <> 'posted' AND s.transfer_id IS NOT NULL)
            ORDER BY 1
            """,
            step: "transfers against entries"
        ) { row in
            let transferID = try row.uuid(0)
            let firstSequence = try row.isNull(12) ? nil : row.int64(12)
            guard try row.bool(1) else {
                sink.add(Discrepancy(.transferEntriesMismatch, transferID: transferID, entrySequence: firstSequence, detail: "entries name this transfer, which does not exist"))
                return
            }
            let status = try row.string(2)
            let postedAmount = try row.int64(3)
            let debitCount = try row.int(6)
            let creditCount = try row.int(7)
            guard status == "posted" else {
                sink.add(Discrepancy(.transferEntriesMismatch, transferID: transferID, entrySequence: firstSequence, detail: "a \(status) transfer has \(debitCount) debit and \(creditCount) credit entries; it should have none"))
                return
            }
            var problems: [String] = []
            for (side, count, accountColumn, amountColumn, expectedAccountColumn) in [
                ("debit", debitCount, 8, 10, 4), ("credit", creditCount, 9, 11, 5),
            ] {
                guard count == 1 else {
                    problems.append("\(count) \(side) entries instead of one")
                    continue
                }
                let amount = try row.int128(amountColumn)
                if amount != Int128(postedAmount) {
                    problems.append("the \(side) entry moves \(amount), not the posted amount \(postedAmount)")
                }
                let account = try row.uuid(accountColumn)
                let expected = try row.uuid(expectedAccountColumn)
                if account != expected {
                    problems.append("the \(side) entry is on account \(account.lowercasedString), not \(expected.lowercasedString)")
                }
            }
            sink.add(Discrepancy(.transferEntriesMismatch, transferID: transferID, entrySequence: firstSequence, detail: problems.joined(separator: "; ")))
        }
    }
}
