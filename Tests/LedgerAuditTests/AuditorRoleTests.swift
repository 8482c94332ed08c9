import Foundation
import LedgerAudit
import LedgerCore
import Postgres
import Testing

@Suite("The read-only auditor role")
struct AuditorRoleTests {
    @Test("ledger_auditor runs statement, verify and trial-balance, and cannot write")
    func auditorReadsOnly() async throws {
        try await AuditFixture.with(label: "auditor") { fixture in
            let history = try await KnownHistory.build(in: fixture)
            try await fixture.asAuditor { pool in
                let (statement, text) = try await fixture.export(AccountReference(id: history.wallet), history.period, .camt053, pool: pool)
                #expect(statement.closingBalance == KnownHistory.closing)
                #expect(try XMLTool.validate(text).status == 0)

                let (report, discrepancies) = try await fixture.verify(pool: pool)
                #expect(report.isSound, "\(discrepancies)")
                #expect(report.entriesChecked == history.entryCount)

                #expect(try await TrialBalance(pool: pool, logger: fixture.logger).run().isBalanced)

                let writes = [
                    "UPDATE accounts SET credits_posted = credits_posted + 1 WHERE id = '\(history.wallet)'",
                    "DELETE FROM entries WHERE account_id = '\(history.wallet)'",
                    "INSERT INTO accounts (id, currency, created_at) VALUES ('\(UUID.v7())', 'EUR', now())",
                ]
                for sql in writes {
                    // Refused twice over: the role's sessions are read-only, and it holds no write grant.
                    await #expect(throws: PostgresError.self) {
                        try await pool.withConnection { connection in
                            try connection.execute("SET default_transaction_read_only = off", step: "try to lift read-only")
                            try connection.execute(sql, step: "auditor write")
                        }
                    }
                }
            }
            let (report, _) = try await fixture.verify()
            #expect(report.isSound)
        }
    }
}
