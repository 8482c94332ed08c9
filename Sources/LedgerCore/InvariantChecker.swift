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

        // Each posted transfer has exactly one debit entry on its debit account and one credit
        // entry on its credit account, both of its posted amount; other transfers have none.
        // Sums alone would accept two half-entries or an entry on the wrong account.
        var entriesByTransfer: [UUID: [Entry]] = [:]
        for entry in entries {
            entriesByTransfer[entry.transferID, default: []].append(entry)
        }
        let transferIDs = Set(transfers.map(\.id))
        for (id, orphans) in entriesByTransfer.sorted(by: { $0.key.uuidString < $1.key.uuidString }) where !transferIDs.contains(id) {
            found.append(.init(invariant: 2, detail: "\(orphans.count) entries name unknown transfer \(id)"))
        }
        for transfer in transfers.sorted(by: { $0.sequence < $1.sequence }) {
            let own = entriesByTransfer[transfer.id, default: []]
            let postedAmountIsValid = switch transfer.status {
            case .posted: transfer.isPending ? (1...max(1, transfer.amount)).contains(transfer.postedAmount) : transfer.postedAmount == transfer.amount
            case .pending, .voided, .expired: transfer.postedAmount == 0
            }
            if !postedAmountIsValid {
                found.append(.init(invariant: 2, detail: "transfer \(transfer.id) (\(transfer.status.rawValue), amount \(transfer.amount)) has posted_amount \(transfer.postedAmount)"))
            }
            let isExpected: Bool
            if transfer.status == .posted {
                let debits = own.filter { $0.direction == .debit }
                let credits = own.filter { $0.direction == .credit }
                isExpected = debits.count == 1 && credits.count == 1
                    && debits[0].accountID == transfer.debitAccountID && credits[0].accountID == transfer.creditAccountID
                    && debits[0].amount == transfer.postedAmount && credits[0].amount == transfer.postedAmount
            } else {
                isExpected = own.isEmpty
            }
            if !isExpected {
                let listed = own.map { "\($0.direction.rawValue) \($0.amount) on \($0.accountID)" }.joined(separator: ", ")
                found.append(.init(invariant: 2, detail: "transfer \(transfer.id) (\(transfer.status.rawValue), posted_amount \(transfer.postedAmount)) has entries [\(listed)]"))
            }
        }

        // Invariant 3: no flagged account is past its limit, counting pending.
        for account in accounts where !account.isWithinLimits {
            found.append(.init(invariant: 3, detail: "account \(account.id) is past its limit: \(account.balances)"))
        }
        return found
    }
}
