import Foundation
import LedgerAudit
import LedgerTestSupport
import LedgerCore
import Synchronization
import Testing

@Suite("ledger verify on the live books")
struct VerifierTests {
    @Test("invariants 1-5: books written through the committer are sound")
    func soundBooks() async throws {
        try await AuditFixture.with(label: "verifysound") { fixture in
            let history = try await KnownHistory.build(in: fixture)
            // A void and a second currency, so every kind of row is present.
            let hold = try await fixture.submit([AuditFixture.transfer(history.funding, history.wallet, 300, "EUR", pending: true)])
            guard case .transfer(let held, _, _) = hold[0] else { throw AuditError(.invalidInput, "expected a transfer") }
            try await fixture.submit([.voidPending(id: held.id)])
            let yen = try await fixture.openAccount("JPY")
            let yenWallet = try await fixture.openAccount("JPY", flags: .debitsMustNotExceedCredits)
            try await fixture.submit([AuditFixture.transfer(yen, yenWallet, 5_000, "JPY"), AuditFixture.transfer(yen, yenWallet, 70, "JPY", pending: true)])

            let (report, discrepancies) = try await fixture.verify()
            #expect(discrepancies.isEmpty, "\(discrepancies)")
            #expect(report.isSound)
            #expect(report.accountsChecked == 4)
            #expect(report.transfersChecked == history.transferCount + 3)
            #expect(report.entriesChecked == history.entryCount + 2)
            #expect(report.currenciesChecked == 2)
            #expect(report.triggersChecked == 10)
        }
    }

    @Test("invariants 2 and 5: a tampered entry amount is named by its sequence")
    func tamperedAmount() async throws {
        try await AuditFixture.with(label: "verifyamount") { fixture in
            let history = try await KnownHistory.build(in: fixture)
            let entry = history.periodEntries[1]
            try await fixture.tamper("UPDATE entries SET amount = amount + 100 WHERE sequence = \(entry.sequence)")

            let (report, discrepancies) = try await fixture.verify()
            #expect(!report.isSound)
            #expect(discrepancies.contains { $0.kind == .chainLinkBroken && $0.entrySequence == entry.sequence && $0.accountID == history.wallet })
            #expect(discrepancies.contains { $0.kind == .runningBalanceMismatch && $0.entrySequence == entry.sequence })
            #expect(discrepancies.contains { $0.kind == .accountBalanceMismatch && $0.accountID == history.wallet })
            #expect(discrepancies.contains { $0.kind == .transferEntriesMismatch && $0.transferID == entry.transferID })
            // One changed row is reported once per check, not once for every entry after it.
            #expect(discrepancies.filter { $0.kind == .chainLinkBroken }.count == 1)
        }
    }

    @Test("invariants 2 and 5: a deleted entry breaks the next link and its transfer")
    func deletedEntry() async throws {
        try await AuditFixture.with(label: "verifydelete") { fixture in
            let history = try await KnownHistory.build(in: fixture)
            let deleted = history.periodEntries[1]
            let next = history.periodEntries[2]
            try await fixture.tamper("DELETE FROM entries WHERE sequence = \(deleted.sequence)")

            let (report, discrepancies) = try await fixture.verify()
            #expect(!report.isSound)
            #expect(report.entriesChecked == history.entryCount - 1)
            #expect(discrepancies.contains { $0.kind == .chainLinkBroken && $0.entrySequence == next.sequence && $0.accountID == history.wallet })
            #expect(discrepancies.contains { $0.kind == .transferEntriesMismatch && $0.transferID == deleted.transferID })
            #expect(discrepancies.contains { $0.kind == .accountBalanceMismatch && $0.accountID == history.wallet })
        }
    }

    @Test("invariant 5: a rewritten hash is a broken chain link, and so is the link after it")
    func brokenLink() async throws {
        try await AuditFixture.with(label: "verifylink") { fixture in
            let history = try await KnownHistory.build(in: fixture)
            let entry = history.periodEntries[0]
            let forged = String(repeating: "ab", count: 32)
            try await fixture.tamper("UPDATE entries SET hash = '\\x\(forged)'::bytea WHERE sequence = \(entry.sequence)")

            let (report, discrepancies) = try await fixture.verify()
            #expect(!report.isSound)
            let broken = discrepancies.filter { $0.kind == .chainLinkBroken }
            #expect(broken.map(\.entrySequence) == [entry.sequence, history.periodEntries[1].sequence])
            #expect(broken.allSatisfy { $0.accountID == history.wallet })
            // Balances were not touched.
            #expect(!discrepancies.contains { $0.invariant != 5 })
        }
    }

    @Test("invariant 5: a chain head that is not the last entry's hash is caught")
    func lastEntryAndHead() async throws {
        try await AuditFixture.with(label: "verifyhead") { fixture in
            let history = try await KnownHistory.build(in: fixture)
            try await fixture.tamper("UPDATE accounts SET chain_head = '\\x\(String(repeating: "00", count: 32))'::bytea WHERE id = '\(history.wallet)'")
            let (_, discrepancies) = try await fixture.verify()
            #expect(discrepancies.map(\.kind) == [.chainHeadMismatch])
            #expect(discrepancies.first?.accountID == history.wallet)
        }
    }

    @Test("invariants 1 and 2: an edited balance is named by its account and breaks its currency's conservation")
    func editedBalance() async throws {
        try await AuditFixture.with(label: "verifybalance") { fixture in
            let history = try await KnownHistory.build(in: fixture)
            try await fixture.tamper("UPDATE accounts SET credits_posted = credits_posted + 100 WHERE id = '\(history.wallet)'")

            let (report, discrepancies) = try await fixture.verify()
            #expect(!report.isSound)
            let mismatch = try #require(discrepancies.first { $0.kind == .accountBalanceMismatch })
            #expect(mismatch.accountID == history.wallet)
            #expect(mismatch.detail.contains("credits_posted"))
            #expect(discrepancies.contains { $0.kind == .currencyUnbalanced && $0.currency == "EUR" })
        }
    }

    @Test("invariant 3: a flagged account pushed past its limit is named")
    func pastLimit() async throws {
        try await AuditFixture.with(label: "verifylimit") { fixture in
            let history = try await KnownHistory.build(in: fixture)
            // The database's CHECK constraint holds even for a superuser, so break the flag instead.
            try await fixture.tamper("ALTER TABLE accounts DROP CONSTRAINT accounts_credits_within_debits; UPDATE accounts SET flags = 2 WHERE id = '\(history.wallet)'")
            let (_, discrepancies) = try await fixture.verify()
            #expect(discrepancies.contains { $0.kind == .limitExceeded && $0.accountID == history.wallet })
        }
    }

    @Test("invariant 4: a disabled append-only trigger is reported")
    func disabledTrigger() async throws {
        try await AuditFixture.with(label: "verifytrigger") { fixture in
            _ = try await KnownHistory.build(in: fixture)
            try await fixture.tamper("ALTER TABLE entries DISABLE TRIGGER entries_append_only")
            let (report, discrepancies) = try await fixture.verify()
            #expect(!report.isSound)
            #expect(discrepancies.count == 1)
            #expect(discrepancies.first?.kind == .appendOnlyGuard)
            #expect(discrepancies.first?.detail.contains("entries_append_only") == true)
        }
    }

    @Test("an entry naming an account and a transfer that do not exist is reported")
    func danglingEntry() async throws {
        try await AuditFixture.with(label: "verifydangling") { fixture in
            _ = try await KnownHistory.build(in: fixture)
            let ghostAccount = UUID.v7()
            let ghostTransfer = UUID.v7()
            // Tampering runs with triggers off, which is how a dangling row could get in.
            try await fixture.tamper(
                "INSERT INTO entries (sequence, account_id, transfer_id, direction, amount, balance_after, created_at, hash)"
                    + " VALUES (nextval('ledger_sequence'), '\(ghostAccount)', '\(ghostTransfer)', 'debit', 5, -5, now(),"
                    + " '\\x\(String(repeating: "00", count: 32))'::bytea)"
            )
            let (report, discrepancies) = try await fixture.verify()
            #expect(!report.isSound)
            #expect(discrepancies.contains { $0.kind == .unknownAccount && $0.accountID == ghostAccount }, "\(discrepancies)")
            #expect(discrepancies.contains { $0.kind == .transferEntriesMismatch && $0.transferID == ghostTransfer }, "\(discrepancies)")
        }
    }

    @Test("reporting stops at the configured maximum, counting stays exact")
    func reportCap() async throws {
        try await AuditFixture.with(label: "verifycap") { fixture in
            let history = try await KnownHistory.build(in: fixture)
            try await fixture.tamper("UPDATE entries SET hash = '\\x\(String(repeating: "cd", count: 32))'::bytea WHERE account_id = '\(history.funding)'")
            var configuration = Verifier.Configuration()
            configuration.discrepanciesReportedMax = 2
            let reported = Counter()
            let report = try await Verifier(pool: fixture.database.pool, configuration: configuration, logger: fixture.logger)
                .run { _ in reported.increment() }
            #expect(reported.value == 2)
            #expect(report.discrepancyCount > 2)
            #expect(report.discrepanciesUnreported == report.discrepancyCount - 2)
        }
    }
}

final class Counter: Sendable {
    private let count = Mutex(0)
    func increment() { count.withLock { $0 += 1 } }
    var value: Int { count.withLock { $0 } }
}
