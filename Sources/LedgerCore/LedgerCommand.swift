public import Foundation

/// One write the ledger can be asked to do. Every write of the service is one of these,
/// which is what lets the store group them and the reference ledger replay them.
public enum LedgerCommand: Sendable, Hashable {
    case createAccount(NewAccount)
    case createTransfer(NewTransfer)
    /// Post a pending transfer, all of it or `amount` of it.
    case postPending(id: UUID, amount: Int64?)
    case voidPending(id: UUID)
    /// Release a pending transfer whose timeout has passed; issued by the expiry sweeper.
    case expirePending(id: UUID)

    /// The account ids the command reads or writes, as far as the command itself names them.
    /// Pending operations also touch the accounts of their transfer, which only the store knows.
    public var namedAccountIDs: [UUID] {
        switch self {
        case .createAccount(let account): [account.id]
        case .createTransfer(let transfer): [transfer.debitAccountID, transfer.creditAccountID]
        case .postPending, .voidPending, .expirePending: []
        }
    }

    /// The transfer id the command creates or changes, if any.
    public var transferID: UUID? {
        switch self {
        case .createAccount: nil
        case .createTransfer(let transfer): transfer.id
        case .postPending(let id, _), .voidPending(let id), .expirePending(let id): id
        }
    }
}

/// What a successful command did.
public enum LedgerEffect: Sendable, Hashable {
    /// The account was opened (`changed`), or an identical one already existed.
    case account(Account, changed: Bool)
    /// The transfer was created, posted, voided or expired (`changed`), or an identical one already existed.
    case transfer(Transfer, entries: [Entry], changed: Bool)

    /// Whether the command wrote anything; false when it found its own earlier result.
    public var changed: Bool {
        switch self {
        case .account(_, let changed), .transfer(_, _, let changed): changed
        }
    }
}
