import Foundation
import LedgerCore

/// RFC 4180 CSV: one header row, then one record per row, amounts in minor units, CRLF line ends.
///
/// Records, by the `record` column: `opening` (the balance at the period's start), one `entry`
/// per posted entry in sequence order, `debits` and `credits` (count and sum), and `closing`
/// (the balance at the period's end). Specs/STATEMENTS.md describes every column.
public struct CSVStatementWriter: StatementWriter, Sendable {
    public static let header = "record,account_id,account_code,currency,sequence,booked_at,transfer_id,direction,amount,balance,count"

    public init() {}

    public mutating func begin(_ statement: Statement, into buffer: inout [UInt8]) throws(AuditError) {
        let account = statement.account
        row([Self.header], into: &buffer)
        row(
            [
                "opening", account.id.lowercasedString, TextEncoding.csv(account.code ?? ""),
                account.currency.code, "", RFC3339.format(statement.period.start), "", "", "",
                String(statement.openingBalance), "",
            ],
            into: &buffer
        )
    }

    public mutating func line(_ line: StatementLine, of statement: Statement, into buffer: inout [UInt8]) throws(AuditError) {
        row(
            [
                "entry", "", "", "", String(line.sequence), RFC3339.format(line.bookedAt),
                line.transferID.lowercasedString, line.direction.rawValue, String(line.amount),
                String(line.balanceAfter), "",
            ],
            into: &buffer
        )
    }

    public mutating func finish(_ statement: Statement, into buffer: inout [UInt8]) throws(AuditError) {
        let account = statement.account
        row(["debits", "", "", "", "", "", "", "debit", String(statement.debits.amount), "", String(statement.debits.count)], into: &buffer)
        row(["credits", "", "", "", "", "", "", "credit", String(statement.credits.amount), "", String(statement.credits.count)], into: &buffer)
        row(
            [
                "closing", account.id.lowercasedString, TextEncoding.csv(account.code ?? ""),
                account.currency.code, "", RFC3339.format(statement.period.end), "", "", "",
                String(statement.closingBalance), "",
            ],
            into: &buffer
        )
    }

    /// Fields are already encoded; this joins them and ends the line.
    private func row(_ fields: [String], into buffer: inout [UInt8]) {
        for (index, field) in fields.enumerated() {
            if index > 0 { buffer.append(UInt8(ascii: ",")) }
            buffer.append(contentsOf: field.utf8)
        }
        buffer.append(contentsOf: [UInt8(ascii: "\r"), UInt8(ascii: "\n")])
    }
}
