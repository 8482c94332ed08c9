import CLibPQ

extension PostgresConnection {
    /// The most bytes handed to `PQputCopyData` at once.
    static let copyChunkBytesMax = 64 * 1024

    /// Runs `COPY … FROM STDIN` and streams `data` (in the COPY's format, text by default) to the
    /// server in chunks. Returns the number of rows copied.
    ///
    /// A server-side failure (bad data, a violated constraint) is a `.server` error with its
    /// SQLSTATE; a COPY that does not start or cannot be sent is a `.copy` error.
    public func copyIn(_ sql: String, data: [UInt8], step: String = "copy") throws(PostgresError) -> Int {
        var sent = false
        return try self.copyIn(sql, step: step) {
            defer { sent = true }
            return sent ? nil : data
        }
    }

    /// Runs `COPY … FROM STDIN` and sends what `next` makes, until it returns nil. The server
    /// stores the rows of one chunk while `next` makes the one after, so a caller that builds
    /// its data in chunks overlaps building with storing. Returns the number of rows copied.
    ///
    /// Errors as for ``copyIn(_:data:step:)``. If the server refuses the data part-way, the
    /// rest is still made and sent (the server discards it) and the server's error is thrown.
    public func copyIn(_ sql: String, step: String = "copy", chunks next: () -> [UInt8]?) throws(PostgresError) -> Int {
        try self.readyForStatement(step: step)
        try self.startCopyIn(sql, step: step)
        var sentAll = true
        while sentAll, let chunk = next() {
            sentAll = chunk.withUnsafeBufferPointer { buffer -> Bool in
                var offset = 0
                while offset < buffer.count {
                    let length = min(Self.copyChunkBytesMax, buffer.count - offset)
                    let sent = buffer.baseAddress!.advanced(by: offset).withMemoryRebound(to: CChar.self, capacity: length) {
                        PQputCopyData(self.handle, $0, Int32(length))
                    }
                    guard sent == 1 else { return false }
                    offset += length
                }
                return true
            }
        }
        guard PQputCopyEnd(self.handle, sentAll ? nil : "client could not send all data") == 1 else {
            throw self.error(from: nil, step: step)
        }
        let rows = try self.consume(PQgetResult(self.handle), step: step)
        self.drainResults()
        guard sentAll else {
            throw PostgresError(kind: .copy, message: "sending COPY data failed", step: step)
        }
        try self.readyForStatement(step: step)
        return rows.affectedRows
    }

    /// Sends the COPY statement and checks that the server now waits for data.
    private func startCopyIn(_ sql: String, step: String) throws(PostgresError) {
        guard let result = PQexec(self.handle, sql) else {
            throw self.error(from: nil, step: step)
        }
        defer { PQclear(result) }
        switch PQresultStatus(result) {
        case PGRES_COPY_IN:
            return
        case PGRES_FATAL_ERROR:
            throw self.error(from: result, step: step)
        case let status:
            if status == PGRES_COPY_OUT || status == PGRES_COPY_BOTH {
                self.abandonCopy(status)
            }
            throw PostgresError(kind: .copy, message: "statement is not COPY FROM STDIN", step: step)
        }
    }
}
