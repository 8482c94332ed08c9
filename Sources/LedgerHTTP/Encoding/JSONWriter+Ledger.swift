import Foundation
import LedgerCore
import LedgerStore

/// The response shapes of the ledger's resources (Specs/openapi.yaml), written field by field.
extension JSONWriter {
    mutating func account(_ account: Account) {
        objectStart()
        field("id", uuid: account.id)
        field("code", account.code)
        field("currency", account.currency.code)
        key("flags")
        accountFlags(account.flags)
        field("metadata", rawJSON: account.metadata)
        balanceFields(account.balances)
        field("created_at", timestamp: account.createdAt)
        objectEnd()
    }

    mutating func accountFlags(_ flags: AccountFlags) {
        objectStart()
        field("debits_must_not_exceed_credits", flags.contains(.debitsMustNotExceedCredits))
        field("credits_must_not_exceed_debits", flags.contains(.creditsMustNotExceedDebits))
        objectEnd()
    }

    /// The four stored balances and the two derived ones, as JSON integers (Int128 never
    /// fits a double, so they are never written as strings or floats).
    mutating func balanceFields(_ balances: Balances) {
        field("debits_pending", balances.debitsPending)
        field("debits_posted", balances.debitsPosted)
        field("credits_pending", balances.creditsPending)
        field("credits_posted", balances.creditsPosted)
        field("posted", balances.posted)
        field("available", balances.available)
    }

    mutating func balance(accountID: UUID, asOf: Date, _ balances: Balances) {
        objectStart()
        field("account_id", uuid: accountID)
        field("as_of", timestamp: asOf)
        balanceFields(balances)
        objectEnd()
    }

    mutating func transfer(_ transfer: Transfer) {
        objectStart()
        field("id", uuid: transfer.id)
        field("debit_account_id", uuid: transfer.debitAccountID)
        field("credit_account_id", uuid: transfer.creditAccountID)
        field("amount", transfer.amount)
        field("currency", transfer.currency.code)
        field("pending", transfer.isPending)
        field("timeout_seconds", transfer.timeoutSeconds)
        field("expires_at", timestamp: transfer.expiresAt)
        field("description", transfer.description)
        field("metadata", rawJSON: transfer.metadata)
        field("status", transfer.status.rawValue)
        field("posted_amount", transfer.postedAmount)
        field("sequence", transfer.sequence)
        field("created_at", timestamp: transfer.createdAt)
        field("resolved_at", timestamp: transfer.resolvedAt)
        objectEnd()
    }

    mutating func entry(_ entry: Entry) {
        objectStart()
        field("sequence", entry.sequence)
        field("account_id", uuid: entry.accountID)
        field("transfer_id", uuid: entry.transferID)
        field("direction", entry.direction.rawValue)
        field("amount", entry.amount)
        field("balance_after", entry.balanceAfter)
        field("created_at", timestamp: entry.createdAt)
        field("hash", SHA256.hex(entry.hash))
        objectEnd()
    }

    /// `{"items": [...], "next_cursor": "…" | null}`.
    mutating func page<Item>(_ page: Page<Item>, item write: (inout JSONWriter, Item) -> Void) {
        objectStart()
        key("items")
        arrayStart()
        for item in page.items { write(&self, item) }
        arrayEnd()
        field("next_cursor", page.nextCursor)
        objectEnd()
    }
}
