/// What `Verifier.run` checked and how many discrepancies it found.
public struct VerifyReport: Sendable, Hashable {
    public var currenciesChecked = 0
    public var accountsChecked = 0
    public var transfersChecked = 0
    public var entriesChecked = 0
    public var triggersChecked = 0
    /// Every discrepancy found, reported or not.
    public var discrepancyCount = 0
    public var discrepanciesByKind: [Discrepancy.Kind: Int] = [:]
    /// Discrepancies counted but not passed to `report`, past `discrepanciesReportedMax`.
    public var discrepanciesUnreported = 0

    public init() {}

    /// Exit 0 only when this holds.
    public var isSound: Bool { discrepancyCount == 0 }
}
