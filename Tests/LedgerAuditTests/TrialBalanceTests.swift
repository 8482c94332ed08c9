import Foundation
import LedgerAudit
import LedgerTestSupport
import Testing

@Suite("Trial balance")
struct TrialBalanceTests {
    @Test("invariant 1: now and as of earlier instants, per currency, posted and pending")
    func balanced() async throws {
        try await AuditFixture.with(label: "trial") { fixture in
            let history = try await KnownHistory.build(in: fixture)
            let trial = TrialBalance(pool: fixture.database.pool, logger: fixture.logger)

            // Posted: 10_000 + 2_500 + 1_234 + 567 + 89 + 1_000 + the posted hold 5_000.
            let now = try await trial.run()
            #expect(now.isBalanced)
            #expect(now.rows == [.init(currency: "EUR", debitsPosted: 20_390, creditsPosted: 20_390, debitsPending: 0, creditsPending: 0)])

            let early = try await trial.run(asOf: history.beforeBookedAt)
            #expect(early.rows == [.init(currency: "EUR", debitsPosted: 12_500, creditsPosted: 12_500, debitsPending: 0, creditsPending: 0)])

            // Just before the period's end the hold is pending and the last request is not booked.
            let during = try await trial.run(asOf: history.afterBookedAt.addingTimeInterval(-0.000_001))
            #expect(during.rows == [.init(currency: "EUR", debitsPosted: 14_390, creditsPosted: 14_390, debitsPending: 5_000, creditsPending: 5_000)])
            #expect(during.isBalanced)

            let never = try await trial.run(asOf: Date(timeIntervalSince1970: 0))
            #expect(never.rows.isEmpty && never.isBalanced)
        }
    }

    @Test("invariant 1: an edited balance unbalances its currency")
    func unbalanced() async throws {
        try await AuditFixture.with(label: "trialbad") { fixture in
            let history = try await KnownHistory.build(in: fixture)
            try await fixture.tamper("UPDATE accounts SET debits_pending = debits_pending + 7 WHERE id = '\(history.funding)'")
            let report = try await TrialBalance(pool: fixture.database.pool, logger: fixture.logger).run()
            #expect(!report.isBalanced)
            #expect(report.rows.first?.debitsPending == 7)
            #expect(report.table.contains("UNBALANCED"))
        }
    }
}
