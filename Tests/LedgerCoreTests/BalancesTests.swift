import Foundation
import LedgerCore
import Testing

@Suite("Balances and limits")
struct BalancesTests {
    @Test("posted is credits_posted − debits_posted; available also subtracts debits_pending")
    func derived() {
        let balances = Balances(debitsPending: 30, debitsPosted: 100, creditsPending: 7, creditsPosted: 250)
        #expect(balances.posted == 150)
        #expect(balances.available == 120)
        #expect(Balances.zero.posted == 0)
        #expect(Balances.zero.available == 0)
        let overdrawn = Balances(debitsPending: 5, debitsPosted: 100, creditsPosted: 40)
        #expect(overdrawn.posted == -60)
        #expect(overdrawn.available == -65)
    }

    @Test("derived balances are exact beyond the Int64 range")
    func wide() {
        let max = Int128(Int64.max)
        let balances = Balances(debitsPending: max, debitsPosted: 3 * max, creditsPending: 0, creditsPosted: 0)
        #expect(balances.posted == -3 * max)
        #expect(balances.available == -4 * max)
        #expect(balances.posted < Int128(Int64.min))
    }

    @Test("well-formed means no balance is negative")
    func wellFormed() {
        #expect(Balances.zero.isWellFormed)
        #expect(Balances(debitsPending: 1, debitsPosted: 2, creditsPending: 3, creditsPosted: 4).isWellFormed)
        #expect(!Balances(debitsPending: -1).isWellFormed)
        #expect(!Balances(creditsPosted: -1).isWellFormed)
    }

    @Test("invariant 3: limits count pending debits (and pending credits) against the flagged side")
    func limits() {
        func account(_ flags: AccountFlags, _ balances: Balances) -> Account {
            Account(id: UUID(), code: nil, currency: Currency("USD")!, flags: flags, metadata: nil,
                    createdAt: Date(timeIntervalSince1970: 0), balances: balances)
        }
        let wallet = AccountFlags.debitsMustNotExceedCredits
        #expect(account(wallet, Balances(debitsPending: 40, debitsPosted: 60, creditsPosted: 100)).isWithinLimits)
        #expect(!account(wallet, Balances(debitsPending: 41, debitsPosted: 60, creditsPosted: 100)).isWithinLimits)
        // Pending credits are not yet money the wallet can spend.
        #expect(!account(wallet, Balances(debitsPosted: 1, creditsPending: 100)).isWithinLimits)
        let creditLine = AccountFlags.creditsMustNotExceedDebits
        #expect(account(creditLine, Balances(debitsPosted: 100, creditsPending: 40, creditsPosted: 60)).isWithinLimits)
        #expect(!account(creditLine, Balances(debitsPosted: 100, creditsPending: 41, creditsPosted: 60)).isWithinLimits)
        #expect(!account(creditLine, Balances(debitsPending: 100, creditsPosted: 1)).isWithinLimits)
        #expect(account([], Balances(debitsPending: 5, debitsPosted: 1_000)).isWithinLimits)
    }
}
