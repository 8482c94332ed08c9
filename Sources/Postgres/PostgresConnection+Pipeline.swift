import CLibPQ

#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

extension PostgresConnection {
    /// Sends every statement, then one sync, then reads every result (libpq pipeline mode): one
    /// round trip for the batch. Without an explicit BEGIN the batch runs as one implicit
    /// transaction, so a failing statement undoes the ones before it; inside a transaction it
    /// aborts that transaction.
    ///
    /// - Inside a pipelined transaction (`PostgresPool.withTransaction(pipelined: true)`), the
    ///   first pipeline also carries the BEGIN, and `committing: true` appends the COMMIT, so a
    ///   whole transaction can take as few as one round trip. The committing pipeline must be
    ///   the body's last statement: once it has returned, the transaction is over, and any
    ///   further statement in the body is refused.
    /// - `prepared: true` prepares each statement once per session (by its SQL text) and then
    ///   only binds and executes it, which spares the server parsing and analysing it again.
    ///   Meant for the few fixed statements of a hot path; the number of prepared statements per
    ///   session is bounded, beyond which statements are sent unprepared.
    ///
    /// On failure the first error is thrown, its `step` naming the statement: `pipeline[2]`
    /// (`begin` or `commit` for the statements added here). The connection stays usable.
    ///
    /// Statements are sent with the socket in non-blocking mode, reading results into libpq's
    /// buffer whenever the server pushes back, so a large batch cannot deadlock with the server.
    public func pipeline(
        _ statements: [(sql: String, params: [PostgresParameter])],
        step: String = "pipeline",
        committing: Bool = false,
        prepared: Bool = false
    ) throws(PostgresError) -> [PostgresRows] {
        try self.checkUsable(step: step)
        // Refuse bad parameters before anything is sent, so a refusal never leaves half a batch.
        for (index, statement) in statements.enumerated() {
            _ = try self.withParameterValues(statement.params, step: "\(step)[\(index)]") { _, _, _, _ in () }
        }
        return try self.runPipeline(
            count: statements.count, statement: { statements[$0] }, step: step, committing: committing, prepared: prepared)
    }

    /// A pipeline whose statements are made one at a time, each just before it is sent: the
    /// server executes the ones sent while the caller builds the next, so building a large
    /// statement's parameters overlaps with executing the one before it.
    ///
    /// Only inside a transaction: a statement whose parameters are refused can only be found
    /// once some are sent, so that error breaks the connection, which ends the transaction
    /// with nothing committed.
    public func pipeline(
        deferred statements: [() -> (sql: String, params: [PostgresParameter])],
        step: String = "pipeline",
        committing: Bool = false,
        prepared: Bool = false
    ) throws(PostgresError) -> [PostgresRows] {
        try self.checkUsable(step: step)
        guard self.deferredBegin != nil || PQtransactionStatus(self.handle) != PQTRANS_IDLE else {
            throw PostgresError(kind: .server, message: "a deferred pipeline needs an open transaction", step: step)
        }
        return try self.runPipeline(
            count: statements.count, statement: { statements[$0]() }, step: step, committing: committing, prepared: prepared)
    }

    private func runPipeline(
        count: Int,
        statement: (Int) -> (sql: String, params: [PostgresParameter]),
        step: String,
        committing: Bool,
        prepared: Bool
    ) throws(PostgresError) -> [PostgresRows] {
        guard count > 0 || committing else { return [] }
        let begin = self.deferredBegin
        if committing, begin == nil {
            switch PQtransactionStatus(self.handle) {
            case PQTRANS_INTRANS:
                break
            case PQTRANS_INERROR:
                // The body swallowed an error; report it (a serialization failure is retried).
                throw self.lastServerError
                    ?? PostgresError(
                        kind: .server, sqlState: SQLState.inFailedSQLTransaction,
                        message: "the transaction was aborted by an earlier error", step: "commit")
            default:
                throw PostgresError(kind: .server, message: "no open transaction to commit", step: "commit")
            }
        }
        var items: [PipelineItem] = []
        items.reserveCapacity(count + 2)
        if let begin {
            items.append(PipelineItem(fixedSQL: begin.beginStatement, step: "begin", role: .begin))
        }
        for index in 0..<count {
            items.append(PipelineItem(fixedSQL: nil, step: "\(step)[\(index)]", role: .statement(index), prepared: prepared))
        }
        if committing {
            items.append(PipelineItem(fixedSQL: "COMMIT", step: "commit", role: .commit))
        }
        self.deferredBegin = nil

        guard PQenterPipelineMode(self.handle) == 1 else {
            throw self.error(from: nil, step: step)
        }
        // Any error thrown while sending or reading leaves the protocol state unknown; errors of
        // single statements are not thrown here but collected in `results.firstError`.
        let results: (rows: [PostgresRows], firstError: PostgresError?)
        do throws(PostgresError) {
            let newlyPrepared = try self.sendPipeline(&items, statement: statement, step: step)
            results = try self.readPipeline(items, step: step)
            if results.firstError == nil {
                for (sql, name) in newlyPrepared { self.preparedStatements[sql] = name }
            }
        } catch {
            self.markBroken("pipeline failed: \(error.message)")
            // Nothing can have committed when the pipeline held the BEGIN but no COMMIT, so a
            // connection found dead here is like one found dead at BEGIN: safe to retry.
            if begin != nil, !committing, error.kind == .connectionLost {
                var atBegin = error
                atBegin.step = "begin"
                throw atBegin
            }
            throw error
        }
        guard PQexitPipelineMode(self.handle) == 1 else {
            self.markBroken("could not leave pipeline mode")
            throw self.error(from: nil, step: step)
        }
        if let failure = results.firstError {
            throw failure
        }
        if committing, self.committedInPipeline != nil {
            self.committedInPipeline = true
        }
        return results.rows
    }

    /// Prepared statements kept per session; past this, statements go out unprepared.
    static let preparedStatementsMax = 64

    struct PipelineItem {
        enum Role { case begin, statement(Int), commit }
        /// The text of BEGIN and COMMIT; a caller's statement is made when it is sent.
        var fixedSQL: String?
        var step: String
        var role: Role
        var prepared: Bool = false
        /// Set while sending: the name under which this item is prepared in this pipeline.
        var preparesName: String? = nil
    }

    /// Sends the items and the sync; returns the statements prepared in this pipeline, which
    /// count as prepared only once the whole pipeline has succeeded.
    private func sendPipeline(
        _ items: inout [PipelineItem],
        statement: (Int) -> (sql: String, params: [PostgresParameter]),
        step: String
    ) throws(PostgresError) -> [(String, String)] {
        guard PQsetnonblocking(self.handle, 1) == 0 else {
            self.markBroken("could not switch to non-blocking mode")
            throw self.error(from: nil, step: step)
        }
        var newlyPrepared: [(String, String)] = []
        for index in items.indices {
            let item = items[index]
            let (sql, params): (String, [PostgresParameter])
            if case .statement(let position) = item.role {
                (sql, params) = statement(position)
            } else {
                (sql, params) = (item.fixedSQL ?? "", [])
            }
            var name = item.prepared ? self.preparedStatements[sql] : nil
            if item.prepared, name == nil, self.preparedNamesIssued < Self.preparedStatementsMax,
                !newlyPrepared.contains(where: { $0.0 == sql })
            {
                self.preparedNamesIssued += 1
                let fresh = "pipeline_\(self.preparedNamesIssued)"
                guard PQsendPrepare(self.handle, fresh, sql, Int32(params.count), nil) == 1 else {
                    self.markBroken("pipeline prepare failed")
                    throw self.error(from: nil, step: item.step)
                }
                items[index].preparesName = fresh
                newlyPrepared.append((sql, fresh))
                name = fresh
            } else if item.prepared, name == nil {
                name = newlyPrepared.first(where: { $0.0 == sql })?.1
            }
            let sent = try self.withParameterValues(params, step: item.step) { count, values, lengths, formats in
                if let name {
                    PQsendQueryPrepared(self.handle, name, count, values, lengths, formats, 0)
                } else {
                    PQsendQueryParams(self.handle, sql, count, nil, values, lengths, formats, 0)
                }
            }
            guard sent == 1 else {
                self.markBroken("pipeline send failed")
                throw self.error(from: nil, step: item.step)
            }
            try self.flushWithoutBlocking(step: step)
        }
        guard PQpipelineSync(self.handle) == 1 else {
            self.markBroken("pipeline sync failed")
            throw self.error(from: nil, step: step)
        }
        try self.flushWithoutBlocking(step: step)
        guard PQsetnonblocking(self.handle, 0) == 0 else {
            self.markBroken("could not switch back to blocking mode")
            throw self.error(from: nil, step: step)
        }
        return newlyPrepared
    }

    /// Reads one result per item (two for an item that was also prepared), then the sync.
    /// Rows are returned for the caller's statements only.
    private func readPipeline(_ items: [PipelineItem], step: String) throws(PostgresError) -> (rows: [PostgresRows], firstError: PostgresError?) {
        var rows: [PostgresRows] = []
        rows.reserveCapacity(items.count)
        var firstError: PostgresError?
        for item in items {
            if item.preparesName != nil {
                _ = try self.readPipelineResult(step: item.step, firstError: &firstError)
            }
            let (result, commandTag) = try self.readPipelineResult(step: item.step, firstError: &firstError)
            switch item.role {
            case .statement:
                rows.append(result)
            case .begin:
                break
            case .commit:
                // A COMMIT of an aborted transaction answers ROLLBACK; an earlier error explains it.
                if firstError == nil, commandTag != "COMMIT" {
                    firstError = PostgresError(
                        kind: .server, sqlState: SQLState.inFailedSQLTransaction,
                        message: "the server rolled the transaction back at COMMIT", step: "commit")
                }
            }
        }
        guard let sync = PQgetResult(self.handle) else {
            self.markBroken("pipeline sync missing")
            throw self.error(from: nil, step: step)
        }
        let syncStatus = PQresultStatus(sync)
        PQclear(sync)
        guard syncStatus == PGRES_PIPELINE_SYNC else {
            self.markBroken("pipeline sync missing")
            throw PostgresError(kind: .server, message: "expected the pipeline's sync result", step: step)
        }
        return (rows, firstError)
    }

    /// Reads one statement's result and the null result that ends it.
    private func readPipelineResult(
        step: String, firstError: inout PostgresError?
    ) throws(PostgresError) -> (rows: PostgresRows, commandTag: String?) {
        guard let result = PQgetResult(self.handle) else {
            self.markBroken("pipeline ended early")
            throw self.error(from: nil, step: step)
        }
        var rows = PostgresRows()
        var commandTag: String?
        do {
            defer { PQclear(result) }
            switch PQresultStatus(result) {
            case PGRES_TUPLES_OK, PGRES_COMMAND_OK, PGRES_EMPTY_QUERY:
                rows = Self.rows(of: result)
                commandTag = rows.commandTag
            case PGRES_PIPELINE_ABORTED:
                break
            case PGRES_FATAL_ERROR:
                let error = self.error(from: result, step: step)
                if error.sqlState == SQLState.invalidSQLStatementName {
                    // The server lost a statement this session believed prepared; forget them
                    // all so that the next use prepares again.
                    self.preparedStatements.removeAll()
                }
                firstError = firstError ?? error
            default:
                self.markBroken("unexpected result in pipeline")
                throw PostgresError(kind: .server, message: "unexpected result status in pipeline", step: step)
            }
        }
        if PQstatus(self.handle) != CONNECTION_OK {
            throw firstError ?? self.error(from: nil, step: step)
        }
        // Each statement's results end with a null result.
        if let extra = PQgetResult(self.handle) {
            PQclear(extra)
            self.markBroken("statement in pipeline returned several results")
            throw PostgresError(kind: .server, message: "several results for one statement", step: step)
        }
        return (rows, commandTag)
    }

    /// Flushes libpq's output buffer in non-blocking mode. While the server cannot take more
    /// (its own output is full of our results), reads what it sent into libpq's input buffer.
    private func flushWithoutBlocking(step: String) throws(PostgresError) {
        while true {
            switch PQflush(self.handle) {
            case 0:
                return
            case 1:
                let ready = try self.waitForSocket(events: Int16(POLLIN | POLLOUT), step: step)
                if ready & Int16(POLLIN) != 0, PQconsumeInput(self.handle) != 1 {
                    throw self.error(from: nil, step: step)
                }
            default:
                throw self.error(from: nil, step: step)
            }
        }
    }

    /// Waits until the socket is ready for `events`, at most `socketWaitTimeout`.
    func waitForSocket(events: Int16, step: String) throws(PostgresError) -> Int16 {
        let socket = PQsocket(self.handle)
        guard socket >= 0 else {
            throw self.error(from: nil, step: step)
        }
        let deadline = ContinuousClock.now + self.socketWaitTimeout
        while true {
            let remaining = deadline - ContinuousClock.now
            guard remaining > .zero else {
                self.markBroken("socket wait timed out")
                throw PostgresError(kind: .timeout, message: "the server did not respond in time", step: step)
            }
            var descriptor = pollfd(fd: socket, events: events, revents: 0)
            let waitMs = Int32(clamping: min(remaining.millisecondsRoundedUp, 1000))
            let ready = poll(&descriptor, 1, waitMs)
            if ready > 0 {
                return descriptor.revents
            }
            if ready < 0, errno != EINTR {
                self.markBroken("poll failed with errno \(errno)")
                throw PostgresError(kind: .connectionLost, message: "poll failed with errno \(errno)", step: step)
            }
        }
    }
}
