import Foundation
import LedgerCore

/// Invariant 6, checked on one step: what creating, posting, voiding and expiring a pending
/// transfer must do to the transfer, to both accounts and to the entries, and nothing else.
enum PendingRules {
    static func violations(_ step: Step) -> [String] {
        var found = stateViolations(step.after)
        switch (step.command, step.result) {
        case (.createTransfer(let new), .success(let effect)) where effect.changed && new.isPending:
            found += holdViolations(step, new: new)
        case (.postPending(let id, _), _), (.voidPending(let id), _), (.expirePending(let id), _):
            let expected = RulesOracle.expected(step.command, in: step.before)
            let actual = RulesOracle.Outcome(step.result)
            if expected != actual {
                found.append("expected \(expected), got \(actual)")
            } else if case .success = step.result {
                found += resolutionViolations(step, id: id)
            }
        default:
            break
        }
        return found
    }

    /// Facts every transfer must show at any time.
    static func stateViolations(_ state: LedgerState) -> [String] {
        var found: [String] = []
        for transfer in state.transfers.values {
            let expiresMicros = transfer.timeoutSeconds.map { transfer.createdAt.microsecondsSinceEpoch + Int64($0) * 1_000_000 }
            if transfer.expiresAt?.microsecondsSinceEpoch != expiresMicros {
                found.append("transfer \(transfer.id) created \(transfer.createdAt) with timeout \(String(describing: transfer.timeoutSeconds)) expires at \(String(describing: transfer.expiresAt))")
            }
            let resolved = transfer.resolvedAt?.microsecondsSinceEpoch
            let expires = transfer.expiresAt?.microsecondsSinceEpoch
            switch transfer.status {
            case .pending:
                if !transfer.isPending || resolved != nil { found.append("pending transfer \(transfer.id) is not a live hold: \(transfer)") }
            case .posted where !transfer.isPending:
                if resolved != nil || transfer.postedAmount != transfer.amount { found.append("posted transfer \(transfer.id) looks resolved: \(transfer)") }
            case .posted, .voided:
                guard transfer.isPending, let resolved else {
                    found.append("\(transfer.status.rawValue) transfer \(transfer.id) was never pending or has no resolved_at")
                    break
                }
                if let expires, resolved >= expires {
                    found.append("\(transfer.status.rawValue) transfer \(transfer.id) was resolved at \(resolved) µs, not before its expiry \(expires) µs")
                }
            case .expired:
                guard transfer.isPending, let resolved, let expires, expires <= resolved else {
                    found.append("expired transfer \(transfer.id) was not due when it expired: \(transfer)")
                    break
                }
            }
        }
        return found
    }

    /// A new hold adds its amount to the debit side's pending debits and the credit side's
    /// pending credits, and to nothing else.
    private static func holdViolations(_ step: Step, new: NewTransfer) -> [String] {
        var found: [String] = []
        let amount = Int128(new.amount)
        guard let debitBefore = step.before.accounts[new.debitAccountID], let creditBefore = step.before.accounts[new.creditAccountID],
              let debitAfter = step.after.accounts[new.debitAccountID], let creditAfter = step.after.accounts[new.creditAccountID]
        else { return ["the accounts of hold \(new.id) are missing"] }
        var expectedDebit = debitBefore.balances
        expectedDebit.debitsPending += amount
        var expectedCredit = creditBefore.balances
        expectedCredit.creditsPending += amount
        if debitAfter.balances != expectedDebit { found.append("hold: debit account \(debitAfter.balances), expected \(expectedDebit)") }
        if creditAfter.balances != expectedCredit { found.append("hold: credit account \(creditAfter.balances), expected \(expectedCredit)") }
        if step.after.entries.count != step.before.entries.count { found.append("a hold wrote entries") }
        if let transfer = step.after.transfers[new.id], transfer.status != .pending || transfer.postedAmount != 0 {
            found.append("new hold \(transfer)")
        }
        return found
    }

    /// A resolution releases the whole hold from both sides, moves the posted part (and only
    /// that) into posted balances with two entries, and stamps the transfer once.
    private static func resolutionViolations(_ step: Step, id: UUID) -> [String] {
        guard let old = step.before.transfers[id], let new = step.after.transfers[id],
              let debitBefore = step.before.accounts[old.debitAccountID], let creditBefore = step.before.accounts[old.creditAccountID],
              let debitAfter = step.after.accounts[old.debitAccountID], let creditAfter = step.after.accounts[old.creditAccountID]
        else { return ["transfer \(id) or its accounts are missing around its resolution"] }
        var found: [String] = []
        let (status, posted): (TransferStatus, Int64) = switch step.command {
        case .postPending(_, let amount): (.posted, amount ?? old.amount)
        case .voidPending: (.voided, 0)
        default: (.expired, 0)
        }
        if new.status != status || new.postedAmount != posted || new.resolvedAt != step.before.now {
            found.append("resolved transfer is \(new.status.rawValue) posted_amount \(new.postedAmount) at \(String(describing: new.resolvedAt)), expected \(status.rawValue) \(posted) at \(step.before.now)")
        }
        let held = Int128(old.amount)
        var expectedDebit = debitBefore.balances
        expectedDebit.debitsPending -= held
        expectedDebit.debitsPosted += Int128(posted)
        var expectedCredit = creditBefore.balances
        expectedCredit.creditsPending -= held
        expectedCredit.creditsPosted += Int128(posted)
        if debitAfter.balances != expectedDebit { found.append("debit account \(debitAfter.balances), expected \(expectedDebit)") }
        if creditAfter.balances != expectedCredit { found.append("credit account \(creditAfter.balances), expected \(expectedCredit)") }
        for (accountID, account) in step.after.accounts where accountID != old.debitAccountID && accountID != old.creditAccountID {
            if step.before.accounts[accountID] != account { found.append("resolving \(id) changed unrelated account \(accountID)") }
        }
        for (transferID, transfer) in step.after.transfers where transferID != id {
            if step.before.transfers[transferID] != transfer { found.append("resolving \(id) changed transfer \(transferID)") }
        }
        let written = Array(step.after.entries.dropFirst(step.before.entries.count))
        if status == .posted {
            let isPair = written.count == 2
                && written[0].direction == .debit && written[0].accountID == old.debitAccountID && written[0].amount == posted
                && written[1].direction == .credit && written[1].accountID == old.creditAccountID && written[1].amount == posted
                && written.allSatisfy { $0.transferID == id && $0.createdAt == step.before.now }
            if !isPair { found.append("posting \(posted) wrote \(written)") }
        } else if !written.isEmpty {
            found.append("\(status.rawValue) wrote entries \(written)")
        }
        return found
    }
}
