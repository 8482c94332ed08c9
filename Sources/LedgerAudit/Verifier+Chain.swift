import Foundation
import LedgerCore
import LedgerStore
import Postgres

/// Invariant 5, recomputed in Swift: each entry's hash is SHA-256(previous hash of the account ‖
/// the entry's canonical bytes), and each account's `chain_head` is its last entry's hash. The
/// same stream re-adds every account's running balance against `balance_after` (invariant 2).
extension Verifier {
    /// One account's progress through the stream.
    struct ChainState {
        var accountText: String
        var accountID: UUID
        var exists: Bool
        var chainHead: [UInt8]
        var previousHash = Entry.genesisHash
        var running: Int128 = 0
        var lastSequence: Int64?
        var reportedUnknown = false
    }

    /// Returns the number of entries checked.
    static func checkChains(
        on connection: PostgresConnection, into sink: inout DiscrepancySink, progressEvery: Int,
        progress: (@Sendable (VerifyProgress) -> Void)?
    ) throws -> Int {
        let step = "entry hash chains"
        progress?(VerifyProgress(step: step, entriesChecked: 0))
        var entries = 0
        var state: ChainState?
        // Every account appears, with or without entries, so that an account whose entries were
        // all deleted is still held to its chain_head; entries of a missing account appear too.
        try connection.forEachRow(
            """
            SELECT coalesce(a.id, e.account_id), a.id IS NOT NULL, a.chain_head,
                   e.sequence, e.transfer_id, e.direction, e.amount, e.balance_after,
                   (extract(epoch FROM e.created_at) * 1000000)::bigint, e.hash
            FROM accounts a FULL JOIN entries e ON e.account_id = a.id
            ORDER BY 1, e.sequence
            """,
            step: "stream entry chains"
        ) { row in
            let accountText = try row.string(0)
            if state?.accountText != accountText {
                if let finished = state { finish(finished, into: &sink) }
                state = ChainState(
                    accountText: accountText, accountID: try row.uuid(0), exists: try row.bool(1),
                    chainHead: try row.isNull(2) ? [] : row.bytes(2)
                )
            }
            guard !row.isNull(3) else { return }
            try check(row, state: &state!, into: &sink)
            entries += 1
            if entries % progressEvery == 0 {
                progress?(VerifyProgress(step: step, entriesChecked: entries))
            }
        }
        if let finished = state { finish(finished, into: &sink) }
        progress?(VerifyProgress(step: step, entriesChecked: entries))
        return entries
    }

    private static func check(_ row: PostgresRow, state: inout ChainState, into sink: inout DiscrepancySink) throws {
        let sequence = try row.int64(3)
        let transferID = try row.uuid(4)
        guard let direction = EntryDirection(rawValue: try row.string(5)) else {
            throw PostgresError(kind: .decode, message: "entry \(sequence) has an unknown direction", step: "stream entry chains")
        }
        let entry = Entry(
            sequence: sequence, accountID: state.accountID, transferID: transferID, direction: direction,
            amount: try row.int64(6), balanceAfter: try row.int128(7),
            createdAt: Date(microsecondsSinceEpoch: try row.int64(8)), hash: try row.bytes(9)
        )
        if !state.exists && !state.reportedUnknown {
            state.reportedUnknown = true
            sink.add(Discrepancy(.unknownAccount, accountID: state.accountID, transferID: transferID, entrySequence: sequence, detail: "entries name this account, which does not exist"))
        }

        let link = SHA256.hash(state.previousHash, entry.canonicalBytes)
        if link != entry.hash {
            let after = state.lastSequence.map { "entry \($0)" } ?? "the start of the chain"
            sink.add(Discrepancy(
                .chainLinkBroken, accountID: state.accountID, transferID: transferID, entrySequence: sequence,
                detail: "stored hash \(SHA256.hex(entry.hash)) ≠ SHA-256(hash of \(after) ‖ entry) \(SHA256.hex(link)): the entry or one before it was changed, inserted or deleted"
            ))
        }
        // Continue from the stored hash, so one altered row is reported once, not for every
        // entry after it.
        state.previousHash = entry.hash

        state.running += direction == .credit ? Int128(entry.amount) : -Int128(entry.amount)
        if state.running != entry.balanceAfter {
            sink.add(Discrepancy(
                .runningBalanceMismatch, accountID: state.accountID, transferID: transferID, entrySequence: sequence,
                detail: "balance_after is \(entry.balanceAfter) but the account's entries up to it sum to \(state.running)"
            ))
            state.running = entry.balanceAfter
        }
        state.lastSequence = sequence
    }

    private static func finish(_ state: ChainState, into sink: inout DiscrepancySink) {
        guard state.exists, state.previousHash != state.chainHead else { return }
        let last = state.lastSequence.map { "entry \($0)" } ?? "no entry (the chain is empty)"
        sink.add(Discrepancy(
            .chainHeadMismatch, accountID: state.accountID, entrySequence: state.lastSequence,
            detail: "chain_head \(SHA256.hex(state.chainHead)) ≠ \(SHA256.hex(state.previousHash)), the hash of \(last)"
        ))
    }
}
