import Foundation
import LedgerCore

extension NewAccount {
    /// Decodes `POST /v1/accounts`:
    /// `{"id"?, "code"?, "currency", "flags"?: {"debits_must_not_exceed_credits"?, "credits_must_not_exceed_debits"?}, "metadata"?}`.
    /// A missing id gets a fresh UUIDv7.
    init(json: JSONValue) throws(Problem) {
        var reader = try JSONObjectReader(json)
        let id = try reader.uuid("id") ?? UUID.v7()
        let code = try reader.string("code", charactersMax: Limits.accountCodeCharactersMax, bytesMax: Limits.accountCodeCharactersMax)
        let currency = try reader.currency("currency")
        var flags: AccountFlags = []
        if let flagsValue = reader.value("flags") {
            var flagsReader = try JSONObjectReader(flagsValue, path: "flags.", what: "flags")
            if try flagsReader.bool("debits_must_not_exceed_credits") == true { flags.insert(.debitsMustNotExceedCredits) }
            if try flagsReader.bool("credits_must_not_exceed_debits") == true { flags.insert(.creditsMustNotExceedDebits) }
            try flagsReader.finish()
        }
        let metadata = try reader.metadata("metadata")
        try reader.finish()
        if let code, code.isEmpty {
            throw Problem.invalid("code must be 1 to \(Limits.accountCodeCharactersMax) characters", field: "code")
        }
        self.init(id: id, code: code, currency: currency, flags: flags, metadata: metadata)
    }
}
