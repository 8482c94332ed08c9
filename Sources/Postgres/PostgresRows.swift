/// The complete result of one statement: its rows, column names and affected-row count.
public struct PostgresRows: Sendable, RandomAccessCollection {
    public var rows: [PostgresRow]
    public var columnNames: [String]
    /// Rows inserted, updated, deleted, selected or copied (`PQcmdTuples`); 0 when not applicable.
    public var affectedRows: Int
    /// The server's command tag, for example `INSERT 0 3` or `COMMIT` (`PQcmdStatus`).
    public var commandTag: String

    public init(rows: [PostgresRow] = [], columnNames: [String] = [], affectedRows: Int = 0, commandTag: String = "") {
        self.rows = rows
        self.columnNames = columnNames
        self.affectedRows = affectedRows
        self.commandTag = commandTag
    }

    public var startIndex: Int { self.rows.startIndex }
    public var endIndex: Int { self.rows.endIndex }

    public subscript(position: Int) -> PostgresRow {
        self.rows[position]
    }

    /// The index of a column by name, for callers that prefer names to positions.
    public func columnIndex(_ name: String) -> Int? {
        self.columnNames.firstIndex(of: name)
    }
}
