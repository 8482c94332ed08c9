/// How many entries of one direction a statement holds, and their sum in minor units.
public struct StatementTotal: Sendable, Hashable {
    public var count: Int
    public var amount: Int128

    public init(count: Int = 0, amount: Int128 = 0) {
        self.count = count
        self.amount = amount
    }

    public static let zero = StatementTotal()
}
