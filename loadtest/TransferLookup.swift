import Foundation

/// Where the books check reads the ledger's transfers from.
protocol TransferLookup: Sendable {
    /// "http" or "database", for the report.
    var method: String { get }

    /// The transfers among `ids` as the ledger holds them (absent ones are left out), and, when
    /// the source can tell, every other transfer that touches one of `accounts`.
    func lookUp(ids: [UUID], accounts: [UUID]) async throws -> TransferLookupResult
}

struct TransferLookupResult: Sendable {
    var found: [UUID: ObservedTransfer]
    /// Transfers touching the run's accounts that are not among the ids asked for; nil when the
    /// source cannot list them (HTTP has no such query).
    var others: [ObservedTransfer]?
    /// Ids that the source returned more than once.
    var duplicated: [UUID]
}

/// The balances the ledger shows for the run's accounts.
protocol BalanceLookup: Sendable {
    func balances(accounts: [UUID]) async throws -> [UUID: ResponseParser.AccountBalances]
}

struct LookupFailure: Error, CustomStringConvertible {
    var description: String
}
