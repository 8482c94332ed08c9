import Foundation
import LedgerCore
import Testing

@Suite("Field rules")
struct ValidationTests {
    static let usd = Currency("USD")!

    @Test("account codes of 1 to 128 characters of A-Z a-z 0-9 : _ . - are accepted",
          arguments: ["a", "merchant:42:wallet", "A-Z_a.z:0-9", String(repeating: "x", count: 128)])
    func codeAccepted(code: String) {
        #expect(Validation.accountCode(code) == nil)
    }

    @Test("other account codes are refused on the code field",
          arguments: ["", String(repeating: "x", count: 129), "has space", "semi;colon", "slash/", "ünïcode", "tab\t", "emoji🙂"])
    func codeRefused(code: String) throws {
        let error = try #require(Validation.accountCode(code))
        #expect(error.code == .validationFailed)
        #expect(error.field == "code")
    }

    @Test("an account may carry one limit flag but not both, and no unknown flag")
    func flags() {
        func account(_ flags: AccountFlags) -> NewAccount {
            NewAccount(id: UUID(), code: nil, currency: Self.usd, flags: flags, metadata: nil)
        }
        #expect(Validation.newAccount(account([])) == nil)
        #expect(Validation.newAccount(account(.debitsMustNotExceedCredits)) == nil)
        #expect(Validation.newAccount(account(.creditsMustNotExceedDebits)) == nil)
        #expect(Validation.newAccount(account(.allKnown))?.field == "flags")
        #expect(Validation.newAccount(account(AccountFlags(rawValue: 4)))?.field == "flags")
    }

    @Test("metadata is at most 4,096 bytes")
    func metadata() {
        let fits = "{\"k\":\"" + String(repeating: "v", count: Limits.metadataBytesMax - 8) + "\"}"
        #expect(fits.utf8.count == Limits.metadataBytesMax)
        #expect(Validation.metadata(fits) == nil)
        #expect(Validation.metadata(fits + " ")?.field == "metadata")
        #expect(Validation.metadata(nil) == nil)
    }

    @Test("transfer field rules name the failing field")
    func transferFields() {
        let a = UUID()
        let b = UUID()
        func transfer(_ change: (inout NewTransfer) -> Void) -> LedgerError? {
            var new = NewTransfer(id: UUID(), debitAccountID: a, creditAccountID: b, amount: 10, currency: Self.usd)
            change(&new)
            return Validation.newTransfer(new)
        }
        #expect(transfer { _ in } == nil)
        #expect(transfer { $0.amount = .max } == nil)
        #expect(transfer { $0.amount = 0 }?.field == "amount")
        #expect(transfer { $0.amount = -1 }?.field == "amount")
        #expect(transfer { $0.amount = .min }?.code == .validationFailed)
        #expect(transfer { $0.creditAccountID = a }?.code == .sameAccount)
        #expect(transfer { $0.timeoutSeconds = 10 }?.field == "timeout_seconds")
        #expect(transfer { $0.isPending = true; $0.timeoutSeconds = 0 }?.field == "timeout_seconds")
        #expect(transfer { $0.isPending = true; $0.timeoutSeconds = Limits.pendingTimeoutSecondsMax } == nil)
        #expect(transfer { $0.isPending = true; $0.timeoutSeconds = Limits.pendingTimeoutSecondsMax + 1 }?.field == "timeout_seconds")
        #expect(transfer { $0.description = String(repeating: "é", count: 512) } == nil)
        #expect(transfer { $0.description = String(repeating: "é", count: 513) }?.field == "description")
    }
}
