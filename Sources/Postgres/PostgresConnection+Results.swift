import CLibPQ

extension PostgresConnection {
    /// Takes ownership of a result returned by a synchronous libpq call: copies it into Swift
    /// values or turns it into an error, and clears it on every path.
    func consume(_ result: OpaquePointer?, step: String) throws(PostgresError) -> PostgresRows {
        guard let result else {
            throw self.error(from: nil, step: step)
        }
        defer { PQclear(result) }
        let status = PQresultStatus(result)
        switch status {
        case PGRES_TUPLES_OK, PGRES_COMMAND_OK, PGRES_EMPTY_QUERY:
            return Self.rows(of: result)
        case PGRES_COPY_IN, PGRES_COPY_OUT, PGRES_COPY_BOTH:
            self.abandonCopy(status)
            throw PostgresError(
                kind: .copy, message: "statement started a COPY; use copyIn for COPY FROM STDIN", step: step)
        default:
            throw self.error(from: result, step: step)
        }
    }

    /// Turns a failed result (or a missing one) into an error. A connection whose status is no
    /// longer OK yields `.connectionLost`, anything else `.server` with the server's fields.
    func error(from result: OpaquePointer?, step: String) -> PostgresError {
        let connectionLost = PQstatus(self.handle) != CONNECTION_OK
        var error = PostgresError(
            kind: connectionLost ? .connectionLost : .server,
            message: Self.libpqMessage(self.handle) ?? "unknown libpq error",
            step: step
        )
        if let result {
            error.sqlState = Self.field(result, "C")
            error.detail = Self.field(result, "D")
            error.constraint = Self.field(result, "n")
            error.table = Self.field(result, "t")
            error.hint = Self.field(result, "H")
            if let primary = Self.field(result, "M") {
                error.message = primary
            } else if let message = PQresultErrorMessage(result), message.pointee != 0 {
                error.message = String(cString: message).trimmingTrailingWhitespace
            }
        }
        if error.kind == .server {
            // 25P02 only echoes an earlier failure in the same transaction: keep the cause.
            if error.sqlState != SQLState.inFailedSQLTransaction {
                self.lastServerError = error
            }
        } else {
            self.markBroken("connection lost: \(error.message)")
        }
        return error
    }

    /// Copies a whole result into Swift values.
    static func rows(of result: OpaquePointer) -> PostgresRows {
        let rowCount = PQntuples(result)
        let columnCount = PQnfields(result)
        var rows: [PostgresRow] = []
        rows.reserveCapacity(Int(rowCount))
        for rowIndex in 0..<rowCount {
            rows.append(self.row(of: result, at: rowIndex, columnCount: columnCount))
        }
        let columnNames = (0..<columnCount).map { column in
            PQfname(result, column).map { String(cString: $0) } ?? ""
        }
        let commandTag = PQcmdStatus(result).map { String(cString: $0) } ?? ""
        let affectedRows = PQcmdTuples(result).flatMap { Int(String(cString: $0)) } ?? 0
        return PostgresRows(rows: rows, columnNames: columnNames, affectedRows: affectedRows, commandTag: commandTag)
    }

    static func row(of result: OpaquePointer, at rowIndex: Int32, columnCount: Int32) -> PostgresRow {
        var values: [String?] = []
        values.reserveCapacity(Int(columnCount))
        for column in 0..<columnCount {
            if PQgetisnull(result, rowIndex, column) == 1 {
                values.append(nil)
            } else {
                let length = Int(PQgetlength(result, rowIndex, column))
                let bytes = UnsafeRawPointer(PQgetvalue(result, rowIndex, column)!).assumingMemoryBound(to: UInt8.self)
                values.append(String(decoding: UnsafeBufferPointer(start: bytes, count: length), as: UTF8.self))
            }
        }
        return PostgresRow(values: values)
    }

    /// Reads any results still queued on the connection and clears them, so that it is idle again.
    func drainResults() {
        while let result = PQgetResult(self.handle) {
            let status = PQresultStatus(result)
            PQclear(result)
            if status == PGRES_COPY_IN || status == PGRES_COPY_OUT || status == PGRES_COPY_BOTH {
                self.abandonCopy(status)
            }
            if PQstatus(self.handle) != CONNECTION_OK {
                return
            }
        }
    }

    /// Leaves a COPY that a statement started unexpectedly, then reads what follows.
    func abandonCopy(_ status: ExecStatusType) {
        switch status {
        case PGRES_COPY_IN:
            if PQputCopyEnd(self.handle, "COPY FROM STDIN is only supported through copyIn") != 1 {
                self.markBroken("could not abort an unexpected COPY")
                return
            }
        case PGRES_COPY_OUT:
            var buffer: UnsafeMutablePointer<CChar>?
            while true {
                let length = PQgetCopyData(self.handle, &buffer, 0)
                if let data = buffer {
                    PQfreemem(data)
                    buffer = nil
                }
                if length < 0 { break }
            }
        default:
            self.markBroken("unexpected COPY BOTH (replication) state")
            return
        }
        self.drainResults()
    }

    private static func field(_ result: OpaquePointer, _ code: Unicode.Scalar) -> String? {
        guard let value = PQresultErrorField(result, Int32(code.value)) else { return nil }
        return String(cString: value)
    }
}
