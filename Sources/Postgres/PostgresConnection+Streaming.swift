import CLibPQ
import Logging

extension PostgresConnection {
    /// Streams the rows of one statement to `body` one at a time (libpq's single-row mode), so
    /// memory stays flat however many rows there are. `body` must not use this connection.
    ///
    /// If `body` throws, the query is cancelled on the server, the remaining results are read and
    /// discarded so the connection stays usable, and the error is rethrown unchanged.
    public func forEachRow(
        _ sql: String,
        _ parameters: [PostgresParameter] = [],
        step: String = "query",
        _ body: (PostgresRow) throws -> Void
    ) throws {
        try self.readyForStatement(step: step)
        let sent = try self.withParameterValues(parameters, step: step) { count, values, lengths, formats in
            PQsendQueryParams(self.handle, sql, count, nil, values, lengths, formats, 0)
        }
        guard sent == 1 else {
            throw self.error(from: nil, step: step)
        }
        guard PQsetSingleRowMode(self.handle) == 1 else {
            self.drainResults()
            throw PostgresError(kind: .server, message: "libpq refused single-row mode", step: step)
        }
        var failure: (any Error)?
        while let result = PQgetResult(self.handle) {
            defer { PQclear(result) }
            let status = PQresultStatus(result)
            if failure != nil {
                // Draining after a failure: only a stray COPY needs attention.
                if status == PGRES_COPY_IN || status == PGRES_COPY_OUT || status == PGRES_COPY_BOTH {
                    self.abandonCopy(status)
                }
                continue
            }
            switch status {
            case PGRES_SINGLE_TUPLE:
                let row = Self.row(of: result, at: 0, columnCount: PQnfields(result))
                do {
                    try body(row)
                } catch {
                    failure = error
                    self.requestCancel()
                }
            case PGRES_TUPLES_OK, PGRES_COMMAND_OK, PGRES_EMPTY_QUERY:
                break
            case PGRES_COPY_IN, PGRES_COPY_OUT, PGRES_COPY_BOTH:
                self.abandonCopy(status)
                failure = PostgresError(kind: .copy, message: "forEachRow does not run COPY", step: step)
            default:
                failure = self.error(from: result, step: step)
            }
        }
        if let failure {
            throw failure
        }
        try self.readyForStatement(step: step)
    }

    /// Asks the server to cancel the statement in progress, so that draining the rest of a
    /// large result after a failure does not read every row. A cancel that arrives after the
    /// statement ended is ignored by the server.
    func requestCancel() {
        guard let cancel = PQgetCancel(self.handle) else { return }
        defer { PQfreeCancel(cancel) }
        var message = [CChar](repeating: 0, count: 256)
        if PQcancel(cancel, &message, Int32(message.count)) != 1 {
            self.logger.debug(
                "database cancel request failed",
                metadata: ["db.error": "\(message.withUnsafeBufferPointer { String(cString: $0.baseAddress!) }.trimmingTrailingWhitespace)"])
        }
    }
}
