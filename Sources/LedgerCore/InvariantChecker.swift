import Foundation

/// A broken invariant, with the ids a reader needs to find it.
public struct InvariantViolation: Sendable, Hashable, CustomStringConvertible {
    /// The invariant's number in Specs/INVARIANTS.md.
    public var invariant: Int
    public var detail: String

    public init(invariant: Int, detail: String) {
        self.invariant = invariant
        self.detail = detail
    }

    public var description: String { "invariant \(invariant): \(detail)" }
}

/// Invariants 1 to 3 of PRODUCT.md §1, over a complete set of accounts, transfers and entries.
public enum InvariantChecker {
    public static func violations(accounts: [Account], transfers: [Transfer], entries: [Entry]) -> [InvariantViolation] {
        var found: [InvariantViolation] = []

        // Invariant 1: per currency, debits equal credits, posted and pending.
        var totals: [Currency: Balances] = [:]
        for account in accounts {
            var sum = totals[account.currency, default: .zero]
            sum.debitsPending += account.balances.debitsPending
            sum.debitsPosted += account.balances.debitsPosted
            sum.creditsPending += account.balances.creditsPending
            sum.creditsPosted += account.balances.creditsPosted
            totals[account.currency] = sum
        }
        for (currency, sum) in totals.sorted(by: { $0.key < $1.key }) {
            if sum.debitsPosted != sum.creditsPosted {
                found.append(.init(invariant: 1, detail: "\(currency) posted debits \(sum.debitsPosted) ≠ credits \(sum.creditsPosted)"))
            }
            if sum.debitsPending != sum.creditsPending {
                found.append(.init(invariant: 1, detail: "\(currency) pending debits \(sum.debitsPending) ≠ credits \(sum.creditsPending)"))
            }
        }

        // Invariant 2: balances equal the sums of transfers (pending) and entries (posted).
        var derived: [UUID: Balances] = [:]
        for transfer in transfers where transfer.status == .pending {
            derived[transfer.debitAccountID, default: .zero].debitsPending += Int128(transfer.amount)
            derived[transfer.creditAccountID, default: .zero].creditsPending += Int128(transfer.amount)
        }
        for entry in entries {
            switch entry.direction {
            case .debit: derived[entry.accountID, default: .zero].debitsPosted += Int128(entry.amount)
            case .credit: derived[entry.accountID, default: .zero].creditsPosted += Int128(entry.amount)
            }
        }
        let accountIDs = Set(accounts.map(\.id))
        for account in accounts.sorted(by: { $0.id.uuidString < $1.id.uuidString }) {
            let expected = derived[account.id, default: .zero]
            if expected != account.balances {
                found.append(.init(invariant: 2, detail: "account \(account.id) holds \(account.balances) but its history sums to \(expected)"))
            }
        }
        for id in derived.keys where !accountIDs.contains(id) {
            found.append(.init(invariant: 2, detail: "history names unknown account \(id)"))
        }

        // Posted transfers' amounts must equal their entries, two per movement.
        var entrySums: [UUID: (debits: Int128, credits: Int128)] = [:]
        for entry in entries {
            var sums = entrySums[entry.transferID, default: (0, 0)]
            if entry.direction == .debit { sums.debits += Int128(entry.amount) } else { sums.credits += Int128(entry.amount) }
            entrySums[entry.transferID] = sums
        }
        for transfer in transfers {
            let sums = entrySums[transfer.id, default: (0, 0)]
            let expected = transfer.status == .posted ? Int128(transfer.postedAmount) : 0
            if sums.debits != expected || sums.credits != expected {
                found.append(.init(invariant: 2, detail: "transfer \(transfer.id) (\(transfer.status.rawValue), \(transfer.postedAmount)) has entries debiting \(sums.debits) and crediting \(sums.credits)"))
            }
        }

        // Invariant 3: no flagged account is past its limit, counting pending.
        for account in accounts where !account.isWithinLimits {
            found.append(.init(invariant: 3, detail: "account \(account.id) is past its limit: \(account.balances)"))
        }
        return found
    }
}
