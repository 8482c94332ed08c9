/// A rule of the ledger that a request broke. Each has a stable code clients can branch on.
///
/// A struct around a code rather than an enum, so that codes can be added without breaking
/// every `switch` in every client of the module.
public struct LedgerError: Error, Sendable, Hashable, CustomStringConvertible {
    public struct Code: RawRepresentable, Sendable, Hashable, CustomStringConvertible {
        public let rawValue: String
        public init(rawValue: String) { self.rawValue = rawValue }
        public var description: String { rawValue }

        public static let validationFailed = Code(rawValue: "validation_failed")
        public static let accountNotFound = Code(rawValue: "account_not_found")
        public static let transferNotFound = Code(rawValue: "transfer_not_found")
        public static let currencyMismatch = Code(rawValue: "currency_mismatch")
        public static let sameAccount = Code(rawValue: "same_account")
        public static let insufficientFunds = Code(rawValue: "insufficient_funds")
        public static let limitExceeded = Code(rawValue: "limit_exceeded")
        public static let transferNotPending = Code(rawValue: "transfer_not_pending")
        public static let amountExceedsPending = Code(rawValue: "amount_exceeds_pending")
        public static let pendingExpired = Code(rawValue: "pending_expired")
        public static let idConflict = Code(rawValue: "id_conflict")
        /// An atomic batch was refused because another of its items failed.
        public static let batchItemFailed = Code(rawValue: "batch_item_failed")
    }

    public var code: Code
    /// A sentence for humans; never contains secrets.
    public var detail: String
    /// The request field at fault, as a JSON pointer-like dotted path (`amount`, `transfers.3.amount`).
    public var field: String?

    public init(_ code: Code, _ detail: String, field: String? = nil) {
        self.code = code
        self.detail = detail
        self.field = field
    }

    public var description: String {
        field.map { "\(code): \(detail) (\($0))" } ?? "\(code): \(detail)"
    }

    public static func validation(_ detail: String, field: String) -> LedgerError {
        LedgerError(.validationFailed, detail, field: field)
    }
}
