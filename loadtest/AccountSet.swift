import Foundation

/// The accounts a run creates: one unflagged source that funds the others, and `count` accounts
/// flagged `debits_must_not_exceed_credits`. Their ids follow from the seed and the run id.
struct AccountSet: Sendable {
    var source: UUID
    var flagged: [UUID]

    init(count: Int, seed: UInt64, runID: UInt64) {
        var ids = SeededGenerator(seed: seed ^ runID, stream: "accounts")
        self.source = ids.uuid()
        self.flagged = (0..<count).map { _ in ids.uuid() }
    }

    var all: [UUID] { [self.source] + self.flagged }
}
