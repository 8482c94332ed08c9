import Foundation
import LedgerCore

/// One transfer the harness asks for, with a client-given id so that its fate can be looked up
/// afterwards whatever the answer was.
struct TransferIntent: Sendable, Hashable {
    var id: UUID
    var debitAccountID: UUID
    var creditAccountID: UUID
    var amount: Int64
    var pending: Bool
}

extension TransferIntent {
    /// The request body, written by hand so that the same intent always gives the same bytes.
    func jsonObject(currency: String) -> String {
        var text = "{\"id\":\"\(self.id.lowercasedString)\""
        text += ",\"debit_account_id\":\"\(self.debitAccountID.lowercasedString)\""
        text += ",\"credit_account_id\":\"\(self.creditAccountID.lowercasedString)\""
        text += ",\"amount\":\(self.amount),\"currency\":\"\(currency)\""
        if self.pending {
            text += ",\"pending\":true"
        }
        return text + "}"
    }
}
