public import Foundation

/// Where a transfer stands. Only `pending` ever changes, and only once.
public enum TransferStatus: String, Sendable, Hashable, CaseIterable {
    case posted
    case pending
    case voided
    case expired
}

/// A movement of `amount` from the debit account to the credit account (PRODUCT.md §1).
public struct Transfer: Sendable, Hashable, Identifiable {
    public var id: UUID
    public var debitAccountID: UUID
    public var creditAccountID: UUID
    public var amount: Int64
    public var currency: Currency
    /// Whether the transfer was created as a hold (two-phase).
    public var isPending: Bool
    public var timeoutSeconds: Int?
    public var expiresAt: Date?
    public var description: String?
    /// Canonical JSON text of a JSON object, or nil.
    public var metadata: String?
    public var status: TransferStatus
    /// The amount that moved: `amount` for a posted transfer, the posted part of a pending one.
    public var postedAmount: Int64
    public var createdAt: Date
    /// When a pending transfer was posted, voided or expired.
    public var resolvedAt: Date?
    /// Global, monotonic in commit order for transfers that share an account.
    public var sequence: Int64

    public init(
        id: UUID, debitAccountID: UUID, creditAccountID: UUID, amount: Int64, currency: Currency,
        isPending: Bool, timeoutSeconds: Int?, expiresAt: Date?, description: String?, metadata: String?,
        status: TransferStatus, postedAmount: Int64, createdAt: Date, resolvedAt: Date?, sequence: Int64
    ) {
        self.id = id
        self.debitAccountID = debitAccountID
        self.creditAccountID = creditAccountID
        self.amount = amount
        self.currency = currency
        self.isPending = isPending
        self.timeoutSeconds = timeoutSeconds
        self.expiresAt = expiresAt
        self.description = description
        self.metadata = metadata
        self.status = status
        self.postedAmount = postedAmount
        self.createdAt = createdAt
        self.resolvedAt = resolvedAt
        self.sequence = sequence
    }
}

/// What a client asks for when it moves money.
public struct NewTransfer: Sendable, Hashable {
    public var id: UUID
    public var debitAccountID: UUID
    public var creditAccountID: UUID
    public var amount: Int64
    public var currency: Currency
    public var isPending: Bool
    public var timeoutSeconds: Int?
    public var description: String?
    public var metadata: String?

    public init(
        id: UUID, debitAccountID: UUID, creditAccountID: UUID, amount: Int64, currency: Currency,
        isPending: Bool = false, timeoutSeconds: Int? = nil, description: String? = nil, metadata: String? = nil
    ) {
        self.id = id
        self.debitAccountID = debitAccountID
        self.creditAccountID = creditAccountID
        self.amount = amount
        self.currency = currency
        self.isPending = isPending
        self.timeoutSeconds = timeoutSeconds
        self.description = description
        self.metadata = metadata
    }

    /// True when an existing transfer is what this request would have created, so a retry
    /// by id returns it instead of failing with `id_conflict`.
    public func matches(_ transfer: Transfer) -> Bool {
        transfer.id == id && transfer.debitAccountID == debitAccountID
            && transfer.creditAccountID == creditAccountID && transfer.amount == amount
            && transfer.currency == currency && transfer.isPending == isPending
            && transfer.timeoutSeconds == timeoutSeconds && transfer.description == description
            && transfer.metadata == metadata
    }
}
