/// Renders one statement as it streams: the opening part, each entry line, the closing part.
///
/// A writer appends bytes to the buffer it is given; the exporter empties the buffer into the
/// output whenever it grows past its limit, so a writer never holds more than one line's worth
/// of state and memory stays flat however long the statement. A writer is used for one
/// statement only.
public protocol StatementWriter {
    /// Writes what comes before the first line. `statement` already carries its totals.
    mutating func begin(_ statement: Statement, into buffer: inout [UInt8]) throws(AuditError)
    mutating func line(_ line: StatementLine, of statement: Statement, into buffer: inout [UInt8]) throws(AuditError)
    /// Writes what comes after the last line.
    mutating func finish(_ statement: Statement, into buffer: inout [UInt8]) throws(AuditError)
}
