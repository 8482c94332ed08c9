public import Foundation
public import LedgerCore

/// Everything a statement says apart from its entry lines.
///
/// The exporter computes the totals and the closing balance before it streams the lines, in the
/// same snapshot, because camt.053 puts balances and the summary before the entries; it then
/// checks that the streamed lines add up to them.
public struct Statement: Sendable, Hashable {
    /// Unique per export (camt.053 `MsgId`).
    public var messageID: String
    /// The same for every export of one account and period (camt.053 `Stmt/Id`).
    public var statementID: String
    /// When the export ran.
    public var createdAt: Date
    /// The account's identity (id, code, currency, flags); its balances are not read, the
    /// statement's own balances are the ones below.
    public var account: Account
    public var period: StatementPeriod
    /// The account's posted balance (`credits − debits`) at `period.start`.
    public var openingBalance: Int128
    /// The account's posted balance at `period.end`.
    public var closingBalance: Int128
    public var debits: StatementTotal
    public var credits: StatementTotal

    public init(
        messageID: String, statementID: String, createdAt: Date, account: Account, period: StatementPeriod,
        openingBalance: Int128, closingBalance: Int128, debits: StatementTotal, credits: StatementTotal
    ) {
        self.messageID = messageID
        self.statementID = statementID
        self.createdAt = createdAt
        self.account = account
        self.period = period
        self.openingBalance = openingBalance
        self.closingBalance = closingBalance
        self.debits = debits
        self.credits = credits
    }

    /// The number of entry lines.
    public var lineCount: Int { debits.count + credits.count }
}
