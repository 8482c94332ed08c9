/// The shape of the traffic a run sends (PRODUCT.md §7).
enum Scenario: String, CaseIterable, Codable, Sendable {
    /// Transfers between uniformly random pairs of accounts.
    case uniform
    /// Most transfers move money among a few hot accounts, the contended case.
    case hot
    /// A share of requests resend an earlier request's idempotency key and body.
    case replay
    /// Pending transfers, each later posted (in full or in part) or voided.
    case pending
    /// Reads of accounts and transfers mixed with transfers.
    case mixed
    /// Transfers sent in non-atomic batches.
    case batch
}
