import Foundation
import LedgerCore

extension NewTransfer {
    /// Decodes one transfer: `{"id"?, "debit_account_id", "credit_account_id", "amount",
    /// "currency", "pending"?, "timeout_seconds"?, "description"?, "metadata"?}`.
    /// `path` prefixes field names in problems when the transfer is an item of a batch.
    init(json: JSONValue, path: String = "") throws(Problem) {
        var reader = try JSONObjectReader(json, path: path, what: path.isEmpty ? "the request body" : "each transfer")
        let id = try reader.uuid("id") ?? UUID.v7()
        let debit = try reader.requireUUID("debit_account_id")
        let credit = try reader.requireUUID("credit_account_id")
        let amount = try reader.requireAmount("amount")
        let currency = try reader.currency("currency")
        let pending = try reader.bool("pending") ?? false
        let timeout = try reader.integer("timeout_seconds", in: 1...Int64(Limits.pendingTimeoutSecondsMax))
        let description = try reader.string("description", charactersMax: Limits.descriptionCharactersMax)
        let metadata = try reader.metadata("metadata")
        try reader.finish()
        self.init(
            id: id, debitAccountID: debit, creditAccountID: credit, amount: amount, currency: currency,
            isPending: pending, timeoutSeconds: timeout.map { Int($0) }, description: description, metadata: metadata
        )
    }
}
