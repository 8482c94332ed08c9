import Foundation
import LedgerCore

/// The test's own reading of invariants 1, 2 and 9, written apart from `InvariantChecker` so
/// that a mistake in the checker cannot hide the same mistake in the engine.
enum HistoryFold {
    /// Invariant 1: per currency, posted debits equal posted credits, and pending likewise.
    static func conservationViolations(_ state: LedgerState) -> [String] {
        var posted: [String: (debits: Int128, credits: Int128)] = [:]
        var pending: [String: (debits: Int128, credits: Int128)] = [:]
        for account in state.accounts.values {
            let code = account.currency.code
            posted[code, default: (0, 0)].debits += account.balances.debitsPosted
            posted[code, default: (0, 0)].credits += account.balances.creditsPosted
            pending[code, default: (0, 0)].debits += account.balances.debitsPending
            pending[code, default: (0, 0)].credits += account.balances.creditsPending
        }
        var found: [String] = []
        for (code, sums) in posted where sums.debits != sums.credits {
            found.append("invariant 1: \(code) posted debits \(sums.debits) ≠ credits \(sums.credits)")
        }
        for (code, sums) in pending where sums.debits != sums.credits {
            found.append("invariant 1: \(code) pending debits \(sums.debits) ≠ credits \(sums.credits)")
        }
        return found
    }

    /// Invariant 2: each account's balances are the fold of its pending transfers and entries,
    /// and each transfer has exactly the entries its status and posted amount call for.
    static func historyViolations(_ state: LedgerState) -> [String] {
        var found: [String] = []
        var derived: [UUID: (dp: Int128, dP: Int128, cp: Int128, cP: Int128)] = [:]
        for transfer in state.transfers.values where transfer.status == .pending {
            derived[transfer.debitAccountID, default: (0, 0, 0, 0)].dp += Int128(transfer.amount)
            derived[transfer.creditAccountID, default: (0, 0, 0, 0)].cp += Int128(transfer.amount)
        }
        var entriesByTransfer: [UUID: [Entry]] = [:]
        for entry in state.entries {
            if entry.direction == .debit {
                derived[entry.accountID, default: (0, 0, 0, 0)].dP += Int128(entry.amount)
            } else {
                derived[entry.accountID, default: (0, 0, 0, 0)].cP += Int128(entry.amount)
            }
            entriesByTransfer[entry.transferID, default: []].append(entry)
            if state.accounts[entry.accountID] == nil { found.append("invariant 2: entry \(entry.sequence) names unknown account \(entry.accountID)") }
            if state.transfers[entry.transferID] == nil { found.append("invariant 2: entry \(entry.sequence) names unknown transfer \(entry.transferID)") }
        }
        for account in state.accounts.values {
            let sums = derived[account.id, default: (0, 0, 0, 0)]
            let b = account.balances
            if (b.debitsPending, b.debitsPosted, b.creditsPending, b.creditsPosted) != (sums.dp, sums.dP, sums.cp, sums.cP) {
                found.append("invariant 2: account \(account.id) holds \(b) but its history sums to dp=\(sums.dp) dP=\(sums.dP) cp=\(sums.cp) cP=\(sums.cP)")
            }
        }
        for id in derived.keys where state.accounts[id] == nil {
            found.append("invariant 2: history names unknown account \(id)")
        }
        for transfer in state.transfers.values {
            let entries = entriesByTransfer[transfer.id, default: []]
            switch transfer.status {
            case .posted:
                let validAmount = transfer.isPending
                    ? (1...transfer.amount).contains(transfer.postedAmount)
                    : transfer.postedAmount == transfer.amount
                if !validAmount {
                    found.append("invariant 2: posted transfer \(transfer.id) of \(transfer.amount) has posted_amount \(transfer.postedAmount)")
                }
                let debits = entries.filter { $0.direction == .debit }
                let credits = entries.filter { $0.direction == .credit }
                let isPair = debits.count == 1 && credits.count == 1
                    && debits[0].accountID == transfer.debitAccountID && credits[0].accountID == transfer.creditAccountID
                    && debits[0].amount == transfer.postedAmount && credits[0].amount == transfer.postedAmount
                if !isPair {
                    found.append("invariant 2: posted transfer \(transfer.id) (\(transfer.postedAmount)) has entries \(entries.map { "\($0.direction.rawValue) \($0.amount) on \($0.accountID)" })")
                }
            case .pending, .voided, .expired:
                if !entries.isEmpty || transfer.postedAmount != 0 {
                    found.append("invariant 2: \(transfer.status.rawValue) transfer \(transfer.id) has posted_amount \(transfer.postedAmount) and \(entries.count) entries")
                }
            }
        }
        return found
    }

    /// Invariant 9: sequences are unique and increase; each entry's balance_after is the running
    /// posted balance of its account.
    static func sequenceViolations(_ state: LedgerState) -> [String] {
        var found: [String] = []
        for (earlier, later) in zip(state.entries, state.entries.dropFirst()) where earlier.sequence >= later.sequence {
            found.append("invariant 9: entry sequence \(later.sequence) follows \(earlier.sequence)")
        }
        var seen = Set<Int64>()
        let allSequences = state.transfers.values.map(\.sequence) + state.entries.map(\.sequence)
        for sequence in allSequences where !seen.insert(sequence).inserted {
            found.append("invariant 9: sequence \(sequence) is used twice")
        }
        for entry in state.entries {
            if let transfer = state.transfers[entry.transferID], entry.sequence <= transfer.sequence {
                found.append("invariant 9: entry \(entry.sequence) does not follow its transfer \(transfer.sequence)")
            }
        }
        var running: [UUID: Int128] = [:]
        for entry in state.entries.sorted(by: { $0.sequence < $1.sequence }) {
            let delta = Int128(entry.amount)
            let balance = running[entry.accountID, default: 0] + (entry.direction == .credit ? delta : -delta)
            running[entry.accountID] = balance
            if entry.balanceAfter != balance {
                found.append("invariant 9: entry \(entry.sequence) has balance_after \(entry.balanceAfter), running balance is \(balance)")
            }
        }
        for account in state.accounts.values where running[account.id, default: 0] != account.balances.creditsPosted - account.balances.debitsPosted {
            found.append("invariant 9: account \(account.id) posted \(account.balances.posted) ≠ last running balance \(running[account.id, default: 0])")
        }
        return found
    }
}
