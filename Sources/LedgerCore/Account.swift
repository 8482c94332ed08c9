public import Foundation

/// Balance limits an account can opt into; both at once is refused.
public struct AccountFlags: OptionSet, Sendable, Hashable {
    public let rawValue: Int
    public init(rawValue: Int) { self.rawValue = rawValue }

    /// `debits_pending + debits_posted ≤ credits_posted` at all times: a customer wallet.
    public static let debitsMustNotExceedCredits = AccountFlags(rawValue: 1)
    /// `credits_pending + credits_posted ≤ debits_posted` at all times: a credit line.
    public static let creditsMustNotExceedDebits = AccountFlags(rawValue: 2)

    public static let allKnown: AccountFlags = [.debitsMustNotExceedCredits, .creditsMustNotExceedDebits]
}

/// An account and its balances (PRODUCT.md §1).
public struct Account: Sendable, Hashable, Identifiable {
    public var id: UUID
    public var code: String?
    public var currency: Currency
    public var flags: AccountFlags
    /// Canonical JSON text of a JSON object, or nil.
    public var metadata: String?
    public var createdAt: Date
    public var balances: Balances

    public init(
        id: UUID, code: String?, currency: Currency, flags: AccountFlags, metadata: String?,
        createdAt: Date, balances: Balances = .zero
    ) {
        self.id = id
        self.code = code
        self.currency = currency
        self.flags = flags
        self.metadata = metadata
        self.createdAt = createdAt
        self.balances = balances
    }

    /// Whether the account's balances respect its flags (invariant 3).
    public var isWithinLimits: Bool {
        let b = balances
        if flags.contains(.debitsMustNotExceedCredits), b.debitsPending + b.debitsPosted > b.creditsPosted {
            return false
        }
        if flags.contains(.creditsMustNotExceedDebits), b.creditsPending + b.creditsPosted > b.debitsPosted {
            return false
        }
        return true
    }
}

/// What a client asks for when it opens an account.
public struct NewAccount: Sendable, Hashable {
    public var id: UUID
    public var code: String?
    public var currency: Currency
    public var flags: AccountFlags
    public var metadata: String?

    public init(id: UUID, code: String?, currency: Currency, flags: AccountFlags, metadata: String?) {
        self.id = id
        self.code = code
        self.currency = currency
        self.flags = flags
        self.metadata = metadata
    }

    /// True when an existing account is what this request would have created.
    public func matches(_ account: Account) -> Bool {
        account.id == id && account.code == code && account.currency == currency
            && account.flags == flags && account.metadata == metadata
    }
}
