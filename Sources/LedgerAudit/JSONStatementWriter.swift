import Foundation
import LedgerCore

/// One JSON object (RFC 8259), amounts as integers in minor units, one entry per line so that
/// large statements stay readable with line tools.
///
/// Balances are Int128 in the ledger; JSON numbers have no size limit, but a reader that parses
/// numbers into doubles loses precision above 2^53 and should read them as big integers.
public struct JSONStatementWriter: StatementWriter, Sendable {
    private var linesWritten = 0

    public init() {}

    public mutating func begin(_ statement: Statement, into buffer: inout [UInt8]) throws(AuditError) {
        let account = statement.account
        var text = "{\"format\":\"ledger.statement.v1\""
        text += ",\"message_id\":" + TextEncoding.json(statement.messageID)
        text += ",\"statement_id\":" + TextEncoding.json(statement.statementID)
        text += ",\"created_at\":" + TextEncoding.json(RFC3339.format(statement.createdAt))
        text += ",\n\"account\":{\"id\":" + TextEncoding.json(account.id.lowercasedString)
        text += ",\"code\":" + (account.code.map(TextEncoding.json) ?? "null")
        text += ",\"currency\":" + TextEncoding.json(account.currency.code)
        text += ",\"minor_units\":\(account.currency.minorUnits)}"
        text += ",\n\"period\":{\"from\":" + TextEncoding.json(RFC3339.format(statement.period.start))
        text += ",\"to\":" + TextEncoding.json(RFC3339.format(statement.period.end)) + "}"
        text += ",\n\"opening_balance\":\(statement.openingBalance)"
        text += ",\n\"entries\":["
        buffer.append(contentsOf: text.utf8)
    }

    public mutating func line(_ line: StatementLine, of statement: Statement, into buffer: inout [UInt8]) throws(AuditError) {
        var text = linesWritten == 0 ? "\n" : ",\n"
        text += "{\"sequence\":\(line.sequence)"
        text += ",\"booked_at\":\"" + RFC3339.format(line.bookedAt) + "\""
        text += ",\"transfer_id\":\"" + line.transferID.lowercasedString + "\""
        text += ",\"direction\":\"" + line.direction.rawValue + "\""
        text += ",\"amount\":\(line.amount),\"balance_after\":\(line.balanceAfter)}"
        buffer.append(contentsOf: text.utf8)
        linesWritten += 1
    }

    public mutating func finish(_ statement: Statement, into buffer: inout [UInt8]) throws(AuditError) {
        var text = linesWritten == 0 ? "]" : "\n]"
        text += ",\n\"closing_balance\":\(statement.closingBalance)"
        text += ",\n\"totals\":{\"debits\":{\"count\":\(statement.debits.count),\"amount\":\(statement.debits.amount)}"
        text += ",\"credits\":{\"count\":\(statement.credits.count),\"amount\":\(statement.credits.amount)}}}\n"
        buffer.append(contentsOf: text.utf8)
    }
}
