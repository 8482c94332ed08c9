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
    /// On failure the first error is thrown, its `step` naming the statement: `pipeline[2]`.
    /// The connection stays usable.
    ///
    /// Statements are sent with the socket in non-blocking mode, reading results into libpq's
    /// buffer whenever the server pushes back, so a large batch cannot deadlock with the server.
    public func pipeline(
        _ statements: [(sql: String, params: [PostgresParameter])],
        step: String = "pipeline"
    ) throws(PostgresError) -> [PostgresRows] {
        try self.checkUsable(step: step)
        guard !statements.isEmpty else { return [] }
        // Refuse bad parameters before anything is sent, so a refusal never leaves half a batch.
        for (index, statement) in statements.enumerated() {
            _ = try self.withParameterValues(statement.params, step: "\(step)[\(index)]") { _, _ in () }
        }
        guard PQenterPipelineMode(self.handle) == 1 else {
            throw self.error(from: nil, step: step)
        }
        // Any error thrown while sending or reading leaves the protocol state unknown; errors of
        // single statements are not thrown here but collected in `results.firstError`.
        let results: (rows: [PostgresRows], firstError: PostgresError?)
        do throws(PostgresError) {
            try self.sendPipeline(statements, step: step)
            results = try self.readPipeline(count: statements.count, step: step)
        } catch {
            self.markBroken("pipeline failed: \(error.message)")
            throw error
        }
        guard PQexitPipelineMode(self.handle) == 1 else {
            self.markBroken("could not leave pipeline mode")
            throw self.error(from: nil, step: step)
        }
        if let failure = results.firstError {
            throw failure
        }
        return results.rows
    }

    private func sendPipeline(_ statements: [(sql: String, params: [PostgresParameter])], step: String) throws(PostgresError) {
        guard PQsetnonblocking(self.handle, 1) == 0 else {
            self.markBroken("could not switch to non-blocking mode")
            throw self.error(from: nil, step: step)
        }
        for (index, statement) in statements.enumerated() {
            let sent = try self.withParameterValues(statement.params, step: "\(step)[\(index)]") { count, values in
                PQsendQueryParams(self.handle, statement.sql, count, nil, values, nil, nil, 0)
            }
            guard sent == 1 else {
                self.markBroken("pipeline send failed")
                throw self.error(from: nil, step: "\(step)[\(index)]")
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
    }

    private func readPipeline(count: Int, step: String) throws(PostgresError) -> (rows: [PostgresRows], firstError: PostgresError?) {
        var rows: [PostgresRows] = []
        rows.reserveCapacity(count)
        var firstError: PostgresError?
        for index in 0..<count {
            guard let result = PQgetResult(self.handle) else {
                self.markBroken("pipeline ended early")
                throw self.error(from: nil, step: "\(step)[\(index)]")
            }
            do {
                defer { PQclear(result) }
                switch PQresultStatus(result) {
                case PGRES_TUPLES_OK, PGRES_COMMAND_OK, PGRES_EMPTY_QUERY:
                    rows.append(Self.rows(of: result))
                case PGRES_PIPELINE_ABORTED:
                    rows.append(PostgresRows())
                case PGRES_FATAL_ERROR:
                    let error = self.error(from: result, step: "\(step)[\(index)]")
                    firstError = firstError ?? error
                    rows.append(PostgresRows())
                default:
                    self.markBroken("unexpected result in pipeline")
                    throw PostgresError(
                        kind: .server, message: "unexpected result status in pipeline", step: "\(step)[\(index)]")
                }
            }
            if PQstatus(self.handle) != CONNECTION_OK {
                throw firstError ?? self.error(from: nil, step: "\(step)[\(index)]")
            }
            // Each statement's results end with a null result.
            if let extra = PQgetResult(self.handle) {
                PQclear(extra)
                self.markBroken("statement in pipeline returned several results")
                throw PostgresError(kind: .server, message: "several results for one statement", step: "\(step)[\(index)]")
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
