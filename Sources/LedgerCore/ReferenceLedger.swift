public import Foundation

/// The whole ledger in memory: the model that property tests hold the store to.
///
/// It runs the same engine as the store, one command at a time, and keeps every entry, so its
/// state after a program is what the database must hold after the same commands commit in the
/// same order.
public struct ReferenceLedger: Sendable {
    public private(set) var engine: LedgerEngine
    private var sequences: SequenceAllocator

    public init(now: Date = Date(timeIntervalSince1970: 1_700_000_000)) {
        engine = LedgerEngine(accounts: [], transfers: [], now: now)
        sequences = SequenceAllocator(countingFrom: 1)
    }

    public var accounts: [UUID: Account] { engine.accounts }
    public var transfers: [UUID: Transfer] { engine.transfers }
    public var entries: [Entry] { engine.entries }
    public var now: Date { engine.now }

    /// Moves the model's clock; pending transfers past their timeout can then be expired.
    public mutating func advance(to date: Date) {
        precondition(date >= engine.now, "the reference clock only moves forward")
        engine.now = date.truncatedToMicroseconds
    }

    @discardableResult
    public mutating func apply(_ command: LedgerCommand) -> Result<LedgerEffect, LedgerError> {
        engine.apply(command, sequences: &sequences)
    }

    @discardableResult
    public mutating func applyAtomically(_ commands: [LedgerCommand]) -> Result<[LedgerEffect], LedgerEngine.AtomicFailure> {
        engine.applyAtomically(commands, sequences: &sequences)
    }

    /// Pending transfers whose timeout has passed at the model's current time.
    public var duePendingTransferIDs: [UUID] {
        transfers.values
            .filter { $0.status == .pending && ($0.expiresAt.map { $0 <= now } ?? false) }
            .sorted { $0.sequence < $1.sequence }
            .map(\.id)
    }

    /// Checks invariants 1 to 3 over the model's state (Specs/INVARIANTS.md).
    public func violations() -> [InvariantViolation] {
        InvariantChecker.violations(accounts: Array(accounts.values), transfers: Array(transfers.values), entries: entries)
    }
}
