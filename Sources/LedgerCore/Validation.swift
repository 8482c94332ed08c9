/// Field rules that do not need any state: checked before a request reaches the write path,
/// and again by the engine so that no caller can skip them.
public enum Validation {
    public static func accountCode(_ code: String) -> LedgerError? {
        let bytes = Array(code.utf8)
        guard (1...Limits.accountCodeCharactersMax).contains(bytes.count) else {
            return .validation("code must be 1 to \(Limits.accountCodeCharactersMax) characters", field: "code")
        }
        for byte in bytes {
            let ok = (UInt8(ascii: "A")...UInt8(ascii: "Z")).contains(byte)
                || (UInt8(ascii: "a")...UInt8(ascii: "z")).contains(byte)
                || (UInt8(ascii: "0")...UInt8(ascii: "9")).contains(byte)
                || byte == UInt8(ascii: ":") || byte == UInt8(ascii: "_")
                || byte == UInt8(ascii: ".") || byte == UInt8(ascii: "-")
            guard ok else {
                return .validation("code may hold only A-Z a-z 0-9 : _ . -", field: "code")
            }
        }
        return nil
    }

    public static func metadata(_ metadata: String?) -> LedgerError? {
        guard let metadata else { return nil }
        guard metadata.utf8.count <= Limits.metadataBytesMax else {
            return .validation("metadata must be at most \(Limits.metadataBytesMax) bytes of JSON", field: "metadata")
        }
        return nil
    }

    public static func newAccount(_ account: NewAccount) -> LedgerError? {
        if let code = account.code, let error = accountCode(code) { return error }
        guard AccountFlags.allKnown.isSuperset(of: account.flags) else {
            return .validation("unknown account flag", field: "flags")
        }
        if account.flags.contains(.debitsMustNotExceedCredits), account.flags.contains(.creditsMustNotExceedDebits) {
            return .validation("an account cannot limit both debits and credits", field: "flags")
        }
        return metadata(account.metadata)
    }

    public static func newTransfer(_ transfer: NewTransfer) -> LedgerError? {
        guard transfer.amount > 0 else {
            return .validation("amount must be a positive integer of minor units", field: "amount")
        }
        guard transfer.debitAccountID != transfer.creditAccountID else {
            return LedgerError(.sameAccount, "debit and credit accounts must differ", field: "credit_account_id")
        }
        if let timeout = transfer.timeoutSeconds {
            guard transfer.isPending else {
                return .validation("timeout_seconds applies only to pending transfers", field: "timeout_seconds")
            }
            guard (1...Limits.pendingTimeoutSecondsMax).contains(timeout) else {
                return .validation("timeout_seconds must be 1 to \(Limits.pendingTimeoutSecondsMax)", field: "timeout_seconds")
            }
        }
        if let description = transfer.description, description.count > Limits.descriptionCharactersMax {
            return .validation("description must be at most \(Limits.descriptionCharactersMax) characters", field: "description")
        }
        return metadata(transfer.metadata)
    }
}
