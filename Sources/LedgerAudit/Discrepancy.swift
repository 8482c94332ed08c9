import LedgerCore
public import Foundation

/// One way the books on the database break an invariant of PRODUCT.md §1, with the ids a reader
/// needs to find the rows.
public struct Discrepancy: Sendable, Hashable, CustomStringConvertible {
    public enum Kind: String, Sendable, Hashable, CaseIterable {
        /// Invariant 1: a currency's debits and credits differ (posted or pending).
        case currencyUnbalanced = "currency_unbalanced"
        /// Invariant 2: an account's stored balances differ from the sums of its history.
        case accountBalanceMismatch = "account_balance_mismatch"
        /// Invariant 2: an entry's `balance_after` differs from the running sum of its account's entries.
        case runningBalanceMismatch = "running_balance_mismatch"
        /// Invariant 2: a transfer's entries are not one debit and one credit of its posted amount.
        case transferEntriesMismatch = "transfer_entries_mismatch"
        /// Invariant 2: a transfer names an account that is missing or of another currency.
        case transferAccountsMismatch = "transfer_accounts_mismatch"
        /// Invariant 2: history names an account that does not exist.
        case unknownAccount = "unknown_account"
        /// Invariant 3: a flagged account is past its limit, counting pending amounts.
        case limitExceeded = "limit_exceeded"
        /// Invariant 4: a trigger that keeps history append-only is missing, disabled or altered.
        case appendOnlyGuard = "append_only_guard"
        /// Invariant 5: an entry's stored hash is not SHA-256(previous hash ‖ its canonical bytes).
        case chainLinkBroken = "chain_link_broken"
        /// Invariant 5: an account's `chain_head` is not the hash of its last entry.
        case chainHeadMismatch = "chain_head_mismatch"

        /// The invariant's number in PRODUCT.md §1 and Specs/INVARIANTS.md.
        public var invariant: Int {
            switch self {
            case .currencyUnbalanced: 1
            case .accountBalanceMismatch, .runningBalanceMismatch, .transferEntriesMismatch, .transferAccountsMismatch,
                .unknownAccount:
                2
            case .limitExceeded: 3
            case .appendOnlyGuard: 4
            case .chainLinkBroken, .chainHeadMismatch: 5
            }
        }
    }

    public var kind: Kind
    public var accountID: UUID?
    public var transferID: UUID?
    /// The entry's `sequence`, when one entry is at fault.
    public var entrySequence: Int64?
    public var currency: String?
    /// What is wrong, with the stored and the expected values.
    public var detail: String

    public init(
        _ kind: Kind, accountID: UUID? = nil, transferID: UUID? = nil, entrySequence: Int64? = nil, currency: String? = nil,
        detail: String
    ) {
        self.kind = kind
        self.accountID = accountID
        self.transferID = transferID
        self.entrySequence = entrySequence
        self.currency = currency
        self.detail = detail
    }

    public var invariant: Int { kind.invariant }

    /// One line: `invariant 5 chain_link_broken account=… entry=… transfer=…: detail`.
    public var description: String {
        var text = "invariant \(invariant) \(kind.rawValue)"
        if let currency { text += " currency=\(currency)" }
        if let accountID { text += " account=\(accountID.lowercasedString)" }
        if let entrySequence { text += " entry=\(entrySequence)" }
        if let transferID { text += " transfer=\(transferID.lowercasedString)" }
        return text + ": " + detail
    }
}
