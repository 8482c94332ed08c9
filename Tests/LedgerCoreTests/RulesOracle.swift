import Foundation
import LedgerCore

/// What Specs/INVARIANTS.md says a command must do, worked out from the state before it.
///
/// Written from the spec, not from the engine: it shares no code with `LedgerEngine` or
/// `Validation`, so a property comparing the two catches an engine that refuses too much or
/// too little.
enum RulesOracle {
    enum Outcome: Equatable, CustomStringConvertible {
        case accepted(changed: Bool)
        case refused(LedgerError.Code)

        init(_ result: Result<LedgerEffect, LedgerError>) {
            switch result {
            case .success(let effect): self = .accepted(changed: effect.changed)
            case .failure(let error): self = .refused(error.code)
            }
        }

        var description: String {
            switch self {
            case .accepted(let changed): changed ? "accepted" : "accepted unchanged"
            case .refused(let code): "refused \(code)"
            }
        }
    }

    static func expected(_ command: LedgerCommand, in state: LedgerState) -> Outcome {
        switch command {
        case .createAccount(let new): expected(account: new, in: state)
        case .createTransfer(let new): expected(transfer: new, in: state)
        case .postPending(let id, let amount): expected(resolving: id, kind: .post(amount), in: state)
        case .voidPending(let id): expected(resolving: id, kind: .void, in: state)
        case .expirePending(let id): expected(resolving: id, kind: .expire, in: state)
        }
    }

    /// Invariant 3, written out: the balances an account with these flags may hold.
    static func breaksLimit(_ flags: AccountFlags, _ b: Balances) -> Bool {
        if flags.contains(.debitsMustNotExceedCredits), b.debitsPending + b.debitsPosted > b.creditsPosted { return true }
        if flags.contains(.creditsMustNotExceedDebits), b.creditsPending + b.creditsPosted > b.debitsPosted { return true }
        return false
    }

    static func isValidCode(_ code: String) -> Bool {
        let allowed = Set("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789:_.-".unicodeScalars)
        return (1...128).contains(code.unicodeScalars.count) && code.unicodeScalars.allSatisfy(allowed.contains)
    }

    private static func expected(account new: NewAccount, in state: LedgerState) -> Outcome {
        if let code = new.code, !isValidCode(code) { return .refused(.validationFailed) }
        let both: AccountFlags = [.debitsMustNotExceedCredits, .creditsMustNotExceedDebits]
        if new.flags.rawValue & ~both.rawValue != 0 || new.flags.isSuperset(of: both) { return .refused(.validationFailed) }
        if let metadata = new.metadata, metadata.utf8.count > 4_096 { return .refused(.validationFailed) }
        if let existing = state.accounts[new.id] {
            let same = existing.code == new.code && existing.currency == new.currency
                && existing.flags == new.flags && existing.metadata == new.metadata
            return same ? .accepted(changed: false) : .refused(.idConflict)
        }
        if let code = new.code, state.accounts.values.contains(where: { $0.code == code }) { return .refused(.idConflict) }
        return .accepted(changed: true)
    }

    private static func expected(transfer new: NewTransfer, in state: LedgerState) -> Outcome {
        guard new.amount >= 1 else { return .refused(.validationFailed) }
        guard new.debitAccountID != new.creditAccountID else { return .refused(.sameAccount) }
        if let timeout = new.timeoutSeconds, !new.isPending || timeout < 1 || timeout > 31_536_000 {
            return .refused(.validationFailed)
        }
        if let description = new.description, description.count > 512 { return .refused(.validationFailed) }
        if let metadata = new.metadata, metadata.utf8.count > 4_096 { return .refused(.validationFailed) }
        if let existing = state.transfers[new.id] {
            let same = existing.debitAccountID == new.debitAccountID && existing.creditAccountID == new.creditAccountID
                && existing.amount == new.amount && existing.currency == new.currency
                && existing.isPending == new.isPending && existing.timeoutSeconds == new.timeoutSeconds
                && existing.description == new.description && existing.metadata == new.metadata
            return same ? .accepted(changed: false) : .refused(.idConflict)
        }
        guard var debit = state.accounts[new.debitAccountID], var credit = state.accounts[new.creditAccountID] else {
            return .refused(.accountNotFound)
        }
        guard debit.currency == new.currency, credit.currency == new.currency else { return .refused(.currencyMismatch) }
        let amount = Int128(new.amount)
        if new.isPending {
            debit.balances.debitsPending += amount
            credit.balances.creditsPending += amount
        } else {
            debit.balances.debitsPosted += amount
            credit.balances.creditsPosted += amount
        }
        if breaksLimit(debit.flags, debit.balances) { return .refused(.insufficientFunds) }
        if breaksLimit(credit.flags, credit.balances) { return .refused(.limitExceeded) }
        return .accepted(changed: true)
    }

    enum Resolution {
        case post(Int64?)
        case void
        case expire
    }

    private static func expected(resolving id: UUID, kind: Resolution, in state: LedgerState) -> Outcome {
        guard let transfer = state.transfers[id] else { return .refused(.transferNotFound) }
        guard transfer.status == .pending else { return .refused(.transferNotPending) }
        let isDue = transfer.expiresAt.map { $0.microsecondsSinceEpoch <= state.now.microsecondsSinceEpoch } ?? false
        switch kind {
        case .expire:
            return isDue ? .accepted(changed: true) : .refused(.transferNotPending)
        case .void:
            return isDue ? .refused(.pendingExpired) : .accepted(changed: true)
        case .post(let amount):
            if isDue { return .refused(.pendingExpired) }
            let posted = amount ?? transfer.amount
            if posted < 1 { return .refused(.validationFailed) }
            if posted > transfer.amount { return .refused(.amountExceedsPending) }
            return .accepted(changed: true)
        }
    }
}
