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

/// How a run makes the ids of its transfers and its idempotency keys.
enum IDOrder: String, CaseIterable, Codable, Sendable {
    /// Version 4 UUIDs: every new row lands on a random page of the indexes on these ids.
    case random
    /// Version 7 layout, growing with each id made: new rows land at the right edge of those
    /// indexes, as they do when clients send time-based ids, which is what they are advised to do.
    case timeOrdered = "time-ordered"
}
