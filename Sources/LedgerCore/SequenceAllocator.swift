/// Hands out the global sequence numbers of new transfers and entries, in increasing order.
///
/// The store fills it with numbers drawn from Postgres before it runs a batch; the reference
/// ledger counts. Running out is a bug of the caller's estimate, hence a precondition.
public struct SequenceAllocator: Sendable {
    private var reserved: [Int64]
    private var index = 0
    private var counter: Int64?

    /// Numbers drawn in advance, ascending.
    public init(reserved: [Int64]) {
        precondition(zip(reserved, reserved.dropFirst()).allSatisfy { $0 < $1 }, "reserved sequence numbers must ascend")
        self.reserved = reserved
    }

    /// An unbounded counter starting at `first`.
    public init(countingFrom first: Int64) {
        self.reserved = []
        self.counter = first
    }

    public mutating func next() -> Int64 {
        if let value = counter {
            counter = value + 1
            return value
        }
        precondition(index < reserved.count, "sequence numbers exhausted: the caller reserved too few")
        defer { index += 1 }
        return reserved[index]
    }

    /// Sequence numbers a command may consume at most: a transfer and its two entries.
    public static func upperBound(for command: LedgerCommand) -> Int {
        switch command {
        case .createAccount: 0
        case .createTransfer: 3
        case .postPending: 2
        case .voidPending, .expirePending: 0
        }
    }
}
