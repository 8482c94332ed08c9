import Foundation
import LedgerCore

/// A generated ledger program: a pool of accounts, then a sequence of operations on them.
///
/// Operations name accounts and transfers by small indices that the interpreter resolves
/// against what exists when the operation runs (index modulo the pool), so dropping or changing
/// any operation still leaves a meaningful program; that is what makes shrinking work.
struct Program: Sendable, Hashable, CustomStringConvertible {
    var currencyCount: Int
    var accounts: [AccountSpec]
    var ops: [Op]

    static let currencies: [Currency] = ["USD", "EUR", "JPY"].map { Currency($0)! }

    func currency(_ index: Int) -> Currency { Self.currencies[index % max(1, min(currencyCount, Self.currencies.count))] }

    var description: String {
        var lines = ["accounts (\(currencyCount) currencies):"]
        for (index, spec) in accounts.enumerated() {
            lines.append("  #\(index) \(currency(spec.currencyIndex)) \(spec.limit)\(spec.hasCode ? " code=acct:\(index)" : "")")
        }
        lines.append("ops:")
        for (index, op) in ops.enumerated() {
            lines.append("  \(index). \(op)")
        }
        return lines.joined(separator: "\n")
    }

    /// Smaller programs that keep the shape of this one: fewer operations first, then fewer
    /// accounts and currencies, then simpler operations.
    func shrinkCandidates() -> [Program] {
        var candidates: [Program] = []
        var chunk = ops.count / 2
        while chunk >= 1 {
            var start = 0
            while start < ops.count {
                var smaller = self
                smaller.ops.removeSubrange(start..<min(ops.count, start + chunk))
                candidates.append(smaller)
                start += chunk
            }
            chunk /= 2
        }
        if accounts.count > 2 {
            for index in accounts.indices {
                var smaller = self
                smaller.accounts.remove(at: index)
                candidates.append(smaller)
            }
        }
        if currencyCount > 1 {
            var smaller = self
            smaller.currencyCount -= 1
            candidates.append(smaller)
        }
        for index in accounts.indices where accounts[index].limit != .none || accounts[index].hasCode {
            var smaller = self
            if accounts[index].hasCode {
                smaller.accounts[index].hasCode = false
            } else {
                smaller.accounts[index].limit = .none
            }
            candidates.append(smaller)
        }
        for index in ops.indices {
            for simpler in ops[index].simplerForms() {
                var smaller = self
                smaller.ops[index] = simpler
                candidates.append(smaller)
            }
        }
        return candidates
    }
}

/// One account of a program's pool.
struct AccountSpec: Sendable, Hashable {
    enum Limit: String, Sendable, Hashable, CaseIterable, CustomStringConvertible {
        case none
        case debitsMustNotExceedCredits
        case creditsMustNotExceedDebits

        var flags: AccountFlags {
            switch self {
            case .none: []
            case .debitsMustNotExceedCredits: .debitsMustNotExceedCredits
            case .creditsMustNotExceedDebits: .creditsMustNotExceedDebits
            }
        }

        var description: String {
            switch self {
            case .none: "unflagged"
            case .debitsMustNotExceedCredits: "debits_must_not_exceed_credits"
            case .creditsMustNotExceedDebits: "credits_must_not_exceed_debits"
            }
        }
    }

    var currencyIndex: Int
    var limit: Limit
    var hasCode: Bool
}

/// How much of a pending transfer a post asks for.
enum PostAmount: Sendable, Hashable, CustomStringConvertible {
    /// No amount: post everything held.
    case full
    /// `max(1, amount × permille / 1000)`.
    case partial(permille: Int)
    /// More than was held.
    case over(by: Int64)
    /// Zero or negative: refused by field rules.
    case nonPositive(Int64)

    var description: String {
        switch self {
        case .full: "full"
        case .partial(let permille): "partial \(permille)‰"
        case .over(let by): "over by \(by)"
        case .nonPositive(let value): "amount \(value)"
        }
    }
}

/// Commands a program sends on purpose to be refused (or, for the same-fields duplicates, to be
/// answered with what already exists).
enum InvalidKind: String, Sendable, Hashable, CaseIterable {
    case unknownDebitAccount
    case unknownCreditAccount
    case currencyMismatch
    case sameAccount
    case zeroAmount
    case negativeAmount
    case timeoutOutOfRange
    case timeoutOnPostedTransfer
    case descriptionTooLong
    case duplicateTransferOtherFields
    case duplicateTransferSameFields
    case unknownTransfer
    case badAccountCode
    case bothFlags
    case duplicateAccountOtherFields
    case duplicateAccountSameFields
    case codeTaken
}

/// One step of a program.
enum Op: Sendable, Hashable, CustomStringConvertible {
    case transfer(debit: Int, credit: Int, amount: Int64, pending: Bool, timeoutSeconds: Int?)
    /// `ref` picks among pending transfers when `pendingOnly` and any exist, else among every
    /// transfer id the program has used.
    case post(ref: Int, pendingOnly: Bool, amount: PostAmount)
    case void(ref: Int, pendingOnly: Bool)
    case expire(ref: Int, pendingOnly: Bool)
    /// What the expiry sweeper does: expire every pending transfer past its timeout.
    case expireDue
    case advance(micros: Int64)
    case invalid(InvalidKind, a: Int, b: Int)

    var description: String {
        switch self {
        case .transfer(let debit, let credit, let amount, let pending, let timeout):
            "transfer #\(debit) → #\(credit) \(amount)\(pending ? " pending" : "")\(timeout.map { " timeout \($0)s" } ?? "")"
        case .post(let ref, let pendingOnly, let amount): "post ref \(ref)\(pendingOnly ? " (pending)" : "") \(amount)"
        case .void(let ref, let pendingOnly): "void ref \(ref)\(pendingOnly ? " (pending)" : "")"
        case .expire(let ref, let pendingOnly): "expire ref \(ref)\(pendingOnly ? " (pending)" : "")"
        case .expireDue: "expire every due pending transfer"
        case .advance(let micros): "advance clock \(micros) µs"
        case .invalid(let kind, let a, let b): "invalid \(kind.rawValue) a=\(a) b=\(b)"
        }
    }

    /// Forms of this operation closer to trivial, for shrinking.
    func simplerForms() -> [Op] {
        switch self {
        case .transfer(let debit, let credit, let amount, let pending, let timeout):
            var forms: [Op] = []
            if amount > 1 {
                forms.append(.transfer(debit: debit, credit: credit, amount: 1, pending: pending, timeoutSeconds: timeout))
                if amount > 2 {
                    forms.append(.transfer(debit: debit, credit: credit, amount: amount / 2, pending: pending, timeoutSeconds: timeout))
                }
            }
            if timeout != nil {
                forms.append(.transfer(debit: debit, credit: credit, amount: amount, pending: pending, timeoutSeconds: nil))
            }
            if pending, timeout == nil {
                forms.append(.transfer(debit: debit, credit: credit, amount: amount, pending: false, timeoutSeconds: nil))
            }
            return forms
        case .post(let ref, let pendingOnly, let amount):
            var forms: [Op] = []
            if amount != .full { forms.append(.post(ref: ref, pendingOnly: pendingOnly, amount: .full)) }
            if ref != 0 { forms.append(.post(ref: 0, pendingOnly: pendingOnly, amount: amount)) }
            return forms
        case .void(let ref, let pendingOnly):
            return ref != 0 ? [.void(ref: 0, pendingOnly: pendingOnly)] : []
        case .expire(let ref, let pendingOnly):
            return ref != 0 ? [.expire(ref: 0, pendingOnly: pendingOnly)] : []
        case .expireDue:
            return []
        case .advance(let micros):
            return micros > 1 ? [.advance(micros: micros / 2)] : []
        case .invalid(let kind, let a, let b):
            return a != 0 || b != 0 ? [.invalid(kind, a: 0, b: 0)] : []
        }
    }
}
