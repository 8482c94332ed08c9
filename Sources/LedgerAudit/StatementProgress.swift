/// How far an export has come, for a progress line.
public struct StatementProgress: Sendable, Hashable {
    public var linesWritten: Int
    public var linesTotal: Int

    public init(linesWritten: Int, linesTotal: Int) {
        self.linesWritten = linesWritten
        self.linesTotal = linesTotal
    }
}
