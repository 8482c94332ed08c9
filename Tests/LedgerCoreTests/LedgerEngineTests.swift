import Foundation
import LedgerCore
import Testing

/// Worked examples of the rules, at the edges the generated programs reach only by chance.
@Suite("Ledger engine examples")
struct LedgerEngineTests {
    static let usd = Currency("USD")!
    static let eur = Currency("EUR")!
    static let start = Date(microsecondsSinceEpoch: 1_700_000_000_123_457)

    /// A source account that may go negative, a wallet and a credit line, all in USD, and a EUR account.
    struct Fixture {
        var ledger = ReferenceLedger(now: LedgerEngineTests.start)
        let source = UUID()
        let wallet = UUID()
        let creditLine = UUID()
        let euros = UUID()

        init() throws {
            try open(source, code: "source", flags: [])
            try open(wallet, code: "wallet", flags: .debitsMustNotExceedCredits)
            try open(creditLine, code: nil, flags: .creditsMustNotExceedDebits)
            try open(euros, code: nil, flags: [], currency: LedgerEngineTests.eur)
        }

        mutating func open(_ id: UUID, code: String?, flags: AccountFlags, currency: Currency = LedgerEngineTests.usd) throws {
            let result = ledger.apply(.createAccount(NewAccount(id: id, code: code, currency: currency, flags: flags, metadata: nil)))
            #expect(try result.get().changed)
        }

        @discardableResult
        mutating func transfer(
            _ id: UUID = UUID(), from debit: UUID, to credit: UUID, _ amount: Int64, currency: Currency = LedgerEngineTests.usd,
            pending: Bool = false, timeout: Int? = nil
        ) -> Result<LedgerEffect, LedgerError> {
            ledger.apply(.createTransfer(NewTransfer(
                id: id, debitAccountID: debit, creditAccountID: credit, amount: amount, currency: currency,
                isPending: pending, timeoutSeconds: timeout
            )))
        }

        func balances(_ id: UUID) -> Balances { ledger.accounts[id]!.balances }

        func code(_ result: Result<LedgerEffect, LedgerError>) -> LedgerError.Code? {
            if case .failure(let error) = result { return error.code }
            return nil
        }
    }

    @Test("invariant 6: a hold can be posted or voided until the microsecond before expires_at, and expired from it on")
    func expiryBoundary() throws {
        var f = try Fixture()
        let hold = UUID()
        let other = UUID()
        _ = try f.transfer(hold, from: f.source, to: f.wallet, 100, pending: true, timeout: 60).get()
        _ = try f.transfer(other, from: f.source, to: f.wallet, 50, pending: true, timeout: 60).get()
        let expiresAt = try #require(f.ledger.transfers[hold]?.expiresAt)
        #expect(expiresAt.microsecondsSinceEpoch == Self.start.microsecondsSinceEpoch + 60_000_000)

        f.ledger.advance(to: Date(microsecondsSinceEpoch: Self.start.microsecondsSinceEpoch + 59_999_999))
        #expect(f.ledger.duePendingTransferIDs.isEmpty)
        #expect(f.code(f.ledger.apply(.expirePending(id: hold))) == .transferNotPending)
        _ = try f.ledger.apply(.postPending(id: other, amount: 20)).get()

        f.ledger.advance(to: Date(microsecondsSinceEpoch: Self.start.microsecondsSinceEpoch + 60_000_000))
        #expect(f.ledger.duePendingTransferIDs == [hold])
        #expect(f.code(f.ledger.apply(.postPending(id: hold, amount: nil))) == .pendingExpired)
        #expect(f.code(f.ledger.apply(.voidPending(id: hold))) == .pendingExpired)
        let expired = try f.ledger.apply(.expirePending(id: hold)).get()
        guard case .transfer(let transfer, let entries, true) = expired else {
            Issue.record("expiring returned \(expired)")
            return
        }
        #expect(transfer.status == .expired)
        #expect(transfer.postedAmount == 0)
        #expect(transfer.resolvedAt == f.ledger.now)
        #expect(entries.isEmpty)
        #expect(f.balances(f.wallet) == Balances(creditsPosted: 20))
        #expect(f.code(f.ledger.apply(.postPending(id: hold, amount: nil))) == .transferNotPending)
        #expect(f.code(f.ledger.apply(.voidPending(id: hold))) == .transferNotPending)
        #expect(f.code(f.ledger.apply(.expirePending(id: hold))) == .transferNotPending)
        #expect(f.ledger.violations().isEmpty)
    }

    @Test("invariant 6: expiry is exact for any start microsecond and timeout")
    func expiryBoundaryEverywhere() throws {
        // Dates are binary fractions of seconds; expires_at must still land on the microsecond
        // that Postgres would store, so that the boundary is the same in memory and on disk.
        var mismatches: [String] = []
        for offset in stride(from: Int64(0), to: 1_000_000, by: 7_919) {
            for timeout in [1, 7, 60, 3_599, 31_536_000] {
                let startMicros = 1_700_000_000_000_000 + offset
                var ledger = ReferenceLedger(now: Date(microsecondsSinceEpoch: startMicros))
                let a = UUID(), b = UUID(), hold = UUID()
                ledger.apply(.createAccount(NewAccount(id: a, code: nil, currency: Self.usd, flags: [], metadata: nil)))
                ledger.apply(.createAccount(NewAccount(id: b, code: nil, currency: Self.usd, flags: [], metadata: nil)))
                ledger.apply(.createTransfer(NewTransfer(
                    id: hold, debitAccountID: a, creditAccountID: b, amount: 1, currency: Self.usd, isPending: true, timeoutSeconds: timeout
                )))
                ledger.advance(to: Date(microsecondsSinceEpoch: startMicros + Int64(timeout) * 1_000_000))
                if case .failure(let error) = ledger.apply(.expirePending(id: hold)) {
                    mismatches.append("start \(startMicros) µs, timeout \(timeout) s: \(error)")
                }
            }
        }
        #expect(mismatches.isEmpty, "\(mismatches.prefix(5))")
    }

    @Test("invariant 6: a partial post moves only the posted part and releases the rest of the hold")
    func partialPost() throws {
        var f = try Fixture()
        _ = try f.transfer(from: f.source, to: f.wallet, 1_000).get()
        let hold = UUID()
        _ = try f.transfer(hold, from: f.wallet, to: f.source, 400, pending: true).get()
        #expect(f.balances(f.wallet) == Balances(debitsPending: 400, creditsPosted: 1_000))
        #expect(f.balances(f.wallet).available == 600)
        #expect(f.code(f.ledger.apply(.postPending(id: hold, amount: 401))) == .amountExceedsPending)
        #expect(f.code(f.ledger.apply(.postPending(id: hold, amount: 0))) == .validationFailed)
        let posted = try f.ledger.apply(.postPending(id: hold, amount: 150)).get()
        guard case .transfer(let transfer, let entries, true) = posted else {
            Issue.record("posting returned \(posted)")
            return
        }
        #expect(transfer.status == .posted)
        #expect(transfer.postedAmount == 150)
        #expect(entries.map(\.direction) == [.debit, .credit])
        #expect(entries.map(\.amount) == [150, 150])
        #expect(entries.map(\.accountID) == [f.wallet, f.source])
        #expect(entries.map(\.balanceAfter) == [850, -850])
        #expect(f.balances(f.wallet) == Balances(debitsPosted: 150, creditsPosted: 1_000))
        #expect(f.balances(f.source) == Balances(debitsPosted: 1_000, creditsPosted: 150))
        #expect(f.code(f.ledger.apply(.postPending(id: hold, amount: 10))) == .transferNotPending)
        #expect(f.ledger.violations().isEmpty)
    }

    @Test("invariant 3: a wallet cannot spend pending credits, a credit line cannot exceed its debits")
    func limitErrors() throws {
        var f = try Fixture()
        #expect(f.code(f.transfer(from: f.wallet, to: f.source, 1)) == .insufficientFunds)
        _ = try f.transfer(from: f.source, to: f.wallet, 100, pending: true).get()
        #expect(f.code(f.transfer(from: f.wallet, to: f.source, 1)) == .insufficientFunds)
        #expect(f.code(f.transfer(from: f.source, to: f.creditLine, 1)) == .limitExceeded)
        _ = try f.transfer(from: f.creditLine, to: f.source, 70).get()
        _ = try f.transfer(from: f.source, to: f.creditLine, 50, pending: true).get()
        #expect(f.code(f.transfer(from: f.source, to: f.creditLine, 21)) == .limitExceeded)
        _ = try f.transfer(from: f.source, to: f.creditLine, 20).get()
        // Both sides would break their limit: the debit side is reported.
        #expect(f.code(f.transfer(from: f.wallet, to: f.creditLine, 1)) == .insufficientFunds)
        #expect(f.ledger.violations().isEmpty)
    }

    @Test("invariant 7: checks run in the documented order")
    func checkOrder() throws {
        var f = try Fixture()
        let unknown = UUID()
        #expect(f.code(f.transfer(from: unknown, to: unknown, 0)) == .validationFailed)
        #expect(f.code(f.transfer(from: unknown, to: unknown, 1)) == .sameAccount)
        #expect(f.code(f.transfer(from: unknown, to: f.euros, 1, currency: Self.usd)) == .accountNotFound)
        #expect(f.code(f.transfer(from: f.source, to: unknown, 1)) == .accountNotFound)
        #expect(f.code(f.transfer(from: f.source, to: f.euros, 1)) == .currencyMismatch)
        #expect(f.code(f.transfer(from: f.source, to: f.wallet, 1, currency: Self.eur)) == .currencyMismatch)
        #expect(f.code(f.ledger.apply(.postPending(id: unknown, amount: nil))) == .transferNotFound)
        #expect(f.ledger.transfers.isEmpty)
        #expect(f.ledger.entries.isEmpty)
    }

    @Test("invariant 8: a repeated id with the same fields returns what exists; with other fields it conflicts")
    func idempotentIDs() throws {
        var f = try Fixture()
        let id = UUID()
        let first = try f.transfer(id, from: f.source, to: f.wallet, 25).get()
        let again = try f.transfer(id, from: f.source, to: f.wallet, 25).get()
        guard case .transfer(let original, _, true) = first, case .transfer(let replayed, let entries, false) = again else {
            Issue.record("expected a new transfer then a replay, got \(first) and \(again)")
            return
        }
        #expect(replayed == original)
        #expect(entries.isEmpty)
        #expect(f.code(f.transfer(id, from: f.source, to: f.wallet, 26)) == .idConflict)
        #expect(f.balances(f.wallet) == Balances(creditsPosted: 25))
        #expect(f.ledger.entries.count == 2)

        let sameAccount = NewAccount(id: f.wallet, code: "wallet", currency: Self.usd, flags: .debitsMustNotExceedCredits, metadata: nil)
        #expect(try f.ledger.apply(.createAccount(sameAccount)).get().changed == false)
        var otherAccount = sameAccount
        otherAccount.metadata = "{}"
        #expect(f.code(f.ledger.apply(.createAccount(otherAccount))) == .idConflict)
        let codeTaken = NewAccount(id: UUID(), code: "wallet", currency: Self.usd, flags: [], metadata: nil)
        #expect(f.code(f.ledger.apply(.createAccount(codeTaken))) == .idConflict)
    }

    @Test("invariant 9: a store-style engine uses the reserved sequence numbers in order and reports what changed")
    func storeStyleEngine() throws {
        let a = Account(id: UUID(), code: nil, currency: Self.usd, flags: [], metadata: nil, createdAt: Self.start)
        let b = Account(id: UUID(), code: nil, currency: Self.usd, flags: [], metadata: nil, createdAt: Self.start)
        let held = Transfer(
            id: UUID(), debitAccountID: a.id, creditAccountID: b.id, amount: 9, currency: Self.usd, isPending: true,
            timeoutSeconds: nil, expiresAt: nil, description: nil, metadata: nil, status: .pending, postedAmount: 0,
            createdAt: Self.start, resolvedAt: nil, sequence: 5
        )
        var accountA = a
        accountA.balances.debitsPending = 9
        var accountB = b
        accountB.balances.creditsPending = 9
        var engine = LedgerEngine(accounts: [accountA, accountB], transfers: [held], now: Self.start.addingTimeInterval(1))
        let commands: [LedgerCommand] = [
            .createTransfer(NewTransfer(id: UUID(), debitAccountID: a.id, creditAccountID: b.id, amount: 3, currency: Self.usd)),
            .postPending(id: held.id, amount: nil),
        ]
        var sequences = SequenceAllocator(reserved: [10, 11, 12, 20, 21])
        #expect(commands.map(SequenceAllocator.upperBound(for:)).reduce(0, +) == 5)
        let effects = try engine.applyAtomically(commands, sequences: &sequences).get()
        #expect(effects.count == 2)
        #expect(engine.entries.map(\.sequence) == [11, 12, 20, 21])
        #expect(engine.transfers[held.id]?.sequence == 5)
        #expect(engine.createdTransferIDs.count == 1)
        #expect(engine.resolvedTransferIDs == [held.id])
        #expect(engine.changedAccountIDs == [a.id, b.id])
        #expect(engine.openedAccountIDs.isEmpty)
        #expect(engine.accounts[a.id]?.balances == Balances(debitsPosted: 12))
        #expect(engine.entries.map(\.balanceAfter) == [-3, 3, -12, 12])
    }

    @Test("the reference ledger's clock keeps microseconds and its entries carry the commit time")
    func referenceClock() throws {
        var f = try Fixture()
        let instant = Date(timeIntervalSince1970: 1_700_000_100.000_000_3)
        f.ledger.advance(to: instant)
        #expect(f.ledger.now.microsecondsSinceEpoch == 1_700_000_100_000_000)
        #expect(f.ledger.now == Date(microsecondsSinceEpoch: instant.microsecondsSinceEpoch))
        #expect(f.ledger.now.truncatedToMicroseconds == f.ledger.now)
        _ = try f.transfer(from: f.source, to: f.wallet, 5).get()
        #expect(f.ledger.entries.allSatisfy { $0.createdAt == f.ledger.now })
        #expect(f.ledger.accounts[f.source]?.createdAt == Self.start)
    }
}
