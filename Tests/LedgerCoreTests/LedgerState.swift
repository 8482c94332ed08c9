import Foundation
import LedgerCore

/// Everything an engine and its sequence allocator hold that a command could change.
///
/// Invariant 7 says a rejected command changes nothing; comparing two of these compares the
/// whole state, the next sequence number included.
struct LedgerState: Equatable, Sendable {
    var accounts: [UUID: Account]
    var transfers: [UUID: Transfer]
    var entries: [Entry]
    var openedAccountIDs: [UUID]
    var createdTransferIDs: [UUID]
    var resolvedTransferIDs: [UUID]
    var changedAccountIDs: Set<UUID>
    var now: Date
    var nextSequence: Int64

    init(engine: LedgerEngine, sequences: SequenceAllocator) {
        accounts = engine.accounts
        transfers = engine.transfers
        entries = engine.entries
        openedAccountIDs = engine.openedAccountIDs
        createdTransferIDs = engine.createdTransferIDs
        resolvedTransferIDs = engine.resolvedTransferIDs
        changedAccountIDs = engine.changedAccountIDs
        now = engine.now
        var peek = sequences
        nextSequence = peek.next()
    }

    /// The fields that differ from `other`, for failure messages.
    func differences(from other: LedgerState) -> [String] {
        var found: [String] = []
        for id in Set(accounts.keys).union(other.accounts.keys) where accounts[id] != other.accounts[id] {
            found.append("account \(id): \(String(describing: other.accounts[id])) → \(String(describing: accounts[id]))")
        }
        for id in Set(transfers.keys).union(other.transfers.keys) where transfers[id] != other.transfers[id] {
            found.append("transfer \(id): \(String(describing: other.transfers[id])) → \(String(describing: transfers[id]))")
        }
        if entries != other.entries { found.append("entries: \(other.entries.count) → \(entries.count)") }
        if openedAccountIDs != other.openedAccountIDs { found.append("openedAccountIDs changed") }
        if createdTransferIDs != other.createdTransferIDs { found.append("createdTransferIDs changed") }
        if resolvedTransferIDs != other.resolvedTransferIDs { found.append("resolvedTransferIDs changed") }
        if changedAccountIDs != other.changedAccountIDs { found.append("changedAccountIDs changed") }
        if now != other.now { found.append("now \(other.now) → \(now)") }
        if nextSequence != other.nextSequence { found.append("next sequence \(other.nextSequence) → \(nextSequence)") }
        return found
    }
}
