public import Foundation
public import LedgerCore

/// One posted entry on a statement, with the account's balance right after it.
public struct StatementLine: Sendable, Hashable {
    public var sequence: Int64
    /// When the entry was booked (its `created_at`).
    public var bookedAt: Date
    public var transferID: UUID
    public var direction: EntryDirection
    /// Minor units, always positive; `direction` gives the sign.
    public var amount: Int64
    /// The running posted balance after this entry.
    public var balanceAfter: Int128

    public init(sequence: Int64, bookedAt: Date, transferID: UUID, direction: EntryDirection, amount: Int64, balanceAfter: Int128) {
        self.sequence = sequence
        self.bookedAt = bookedAt
        self.transferID = transferID
        self.direction = direction
        self.amount = amount
        self.balanceAfter = balanceAfter
    }
}
