/// An account's four balances in minor units.
///
/// They are Int128 so that no sum of Int64 amounts can overflow: it would take 2^64 transfers
/// of the largest amount to reach the bound.
public struct Balances: Sendable, Hashable {
    public var debitsPending: Int128
    public var debitsPosted: Int128
    public var creditsPending: Int128
    public var creditsPosted: Int128

    public init(debitsPending: Int128 = 0, debitsPosted: Int128 = 0, creditsPending: Int128 = 0, creditsPosted: Int128 = 0) {
        self.debitsPending = debitsPending
        self.debitsPosted = debitsPosted
        self.creditsPending = creditsPending
        self.creditsPosted = creditsPosted
    }

    public static let zero = Balances()

    /// `credits_posted − debits_posted`.
    public var posted: Int128 { creditsPosted - debitsPosted }

    /// `credits_posted − debits_posted − debits_pending`.
    public var available: Int128 { creditsPosted - debitsPosted - debitsPending }

    /// True when every balance is non-negative, which holds for any account the ledger produced.
    public var isWellFormed: Bool {
        debitsPending >= 0 && debitsPosted >= 0 && creditsPending >= 0 && creditsPosted >= 0
    }
}
