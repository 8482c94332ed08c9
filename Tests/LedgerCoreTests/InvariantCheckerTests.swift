import Foundation
import LedgerCore
import Testing

/// The checker must notice each kind of corruption on its own: `ledger verify` relies on it.
@Suite("Invariant checker")
struct InvariantCheckerTests {
    static let usd = Currency("USD")!

    /// A small sound ledger: a source, a wallet, one posted transfer, one posted hold and one voided hold.
    struct Books {
        var accounts: [UUID: Account]
        var transfers: [UUID: Transfer]
        var entries: [Entry]
        let source = UUID()
        let wallet = UUID()
        let posted = UUID()
        let voided = UUID()

        init() throws {
            var ledger = ReferenceLedger()
            for (id, flags) in [(source, AccountFlags()), (wallet, AccountFlags.debitsMustNotExceedCredits)] {
                _ = try ledger.apply(.createAccount(NewAccount(id: id, code: nil, currency: InvariantCheckerTests.usd, flags: flags, metadata: nil))).get()
            }
            _ = try ledger.apply(.createTransfer(NewTransfer(id: posted, debitAccountID: source, creditAccountID: wallet, amount: 10, currency: InvariantCheckerTests.usd))).get()
            let hold = UUID()
            _ = try ledger.apply(.createTransfer(NewTransfer(id: hold, debitAccountID: wallet, creditAccountID: source, amount: 6, currency: InvariantCheckerTests.usd, isPending: true))).get()
            _ = try ledger.apply(.postPending(id: hold, amount: 4)).get()
            _ = try ledger.apply(.createTransfer(NewTransfer(id: voided, debitAccountID: wallet, creditAccountID: source, amount: 3, currency: InvariantCheckerTests.usd, isPending: true))).get()
            _ = try ledger.apply(.voidPending(id: voided)).get()
            accounts = ledger.accounts
            transfers = ledger.transfers
            entries = ledger.entries
        }

        var violations: [InvariantViolation] {
            InvariantChecker.violations(accounts: Array(accounts.values), transfers: Array(transfers.values), entries: entries)
        }

        var brokenInvariants: Set<Int> { Set(violations.map(\.invariant)) }
    }

    @Test("sound books have no violations")
    func sound() throws {
        let books = try Books()
        #expect(books.violations.isEmpty)
        #expect(books.entries.count == 4)
    }

    @Test("invariant 1: a posted credit from nowhere is found")
    func conservation() throws {
        var books = try Books()
        books.accounts[books.wallet]!.balances.creditsPosted += 1
        #expect(books.brokenInvariants.contains(1))
        #expect(books.brokenInvariants.contains(2))
    }

    @Test("invariant 2: balances that moved together but not with history are found")
    func balancesWithoutHistory() throws {
        var books = try Books()
        books.accounts[books.wallet]!.balances.creditsPending += 5
        books.accounts[books.source]!.balances.debitsPending += 5
        #expect(books.brokenInvariants == [2])
    }

    @Test("invariant 2: a posted transfer split into two half entries is found, though the sums agree")
    func splitEntries() throws {
        var books = try Books()
        let index = try #require(books.entries.firstIndex { $0.transferID == books.posted && $0.direction == .debit })
        var half = books.entries[index]
        half.amount = 5
        books.entries[index] = half
        half.sequence += 1_000
        books.entries.append(half)
        #expect(books.brokenInvariants == [2])
    }

    @Test("invariant 2: a balanced pair of entries for no transfer is found")
    func orphanEntries() throws {
        var books = try Books()
        let ghost = UUID()
        let now = Date(timeIntervalSince1970: 1_700_000_000)
        books.entries.append(Entry(sequence: 100, accountID: books.source, transferID: ghost, direction: .debit, amount: 7, balanceAfter: 0, createdAt: now))
        books.entries.append(Entry(sequence: 101, accountID: books.wallet, transferID: ghost, direction: .credit, amount: 7, balanceAfter: 0, createdAt: now))
        books.accounts[books.source]!.balances.debitsPosted += 7
        books.accounts[books.wallet]!.balances.creditsPosted += 7
        #expect(books.brokenInvariants == [2])
        #expect(books.violations.contains { $0.detail.contains(ghost.uuidString) })
    }

    @Test("invariant 2: entries on swapped accounts are found")
    func swappedAccounts() throws {
        var books = try Books()
        for index in books.entries.indices where books.entries[index].transferID == books.posted {
            books.entries[index].direction = books.entries[index].direction == .debit ? .credit : .debit
        }
        books.accounts[books.source]!.balances = Balances(debitsPosted: 4, creditsPosted: 10)
        books.accounts[books.wallet]!.balances = Balances(debitsPosted: 14, creditsPosted: 0)
        #expect(books.brokenInvariants.contains(2))
    }

    @Test("invariant 2: a voided transfer that claims a posted amount is found")
    func voidedWithPostedAmount() throws {
        var books = try Books()
        books.transfers[books.voided]!.postedAmount = 3
        #expect(books.brokenInvariants == [2])
    }

    @Test("invariant 3: a wallet past its limit is found")
    func limit() throws {
        var books = try Books()
        books.accounts[books.source]!.flags = .debitsMustNotExceedCredits
        #expect(books.brokenInvariants == [3])
    }
}
