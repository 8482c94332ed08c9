import CLibPQ

extension PostgresConnection {
    /// BEGIN; body; COMMIT on this connection, rolling back on any error. Retrying is the pool's
    /// business (`PostgresPool.withTransaction`); this runs one attempt.
    ///
    /// When `pipelined`, BEGIN is not sent on its own but in front of the body's first
    /// statements, and the body may end the transaction with `pipeline(_:committing: true)`.
    func runTransaction<Value>(
        _ isolation: IsolationLevel,
        pipelined: Bool = false,
        _ body: (PostgresConnection) throws -> Value
    ) throws -> Value {
        if pipelined {
            try self.checkUsable(step: "begin")
            self.deferredBegin = isolation
        } else {
            try self.execute(isolation.beginStatement, step: "begin")
        }
        self.lastServerError = nil
        self.committedInPipeline = false
        do {
            defer {
                self.deferredBegin = nil
                self.committedInPipeline = nil
            }
            let value = try body(self)
            if self.committedInPipeline == true {
                return value
            }
            if self.deferredBegin != nil {
                // The body sent nothing, so no transaction was ever opened.
                return value
            }
            try self.commit()
            return value
        } catch let error as PostgresError {
            self.rollbackAfterFailure()
            throw self.rootCause(of: error)
        } catch {
            self.rollbackAfterFailure()
            throw error
        }
    }

    /// A COMMIT of an aborted transaction "succeeds" with the tag ROLLBACK, so check first: a
    /// body that swallowed an error must not look committed.
    func commit() throws(PostgresError) {
        if PQtransactionStatus(self.handle) == PQTRANS_INERROR {
            throw self.lastServerError
                ?? PostgresError(
                    kind: .server, sqlState: SQLState.inFailedSQLTransaction,
                    message: "the transaction was aborted by an earlier error", step: "commit")
        }
        let result = try self.query("COMMIT", step: "commit")
        guard result.commandTag == "COMMIT" else {
            throw PostgresError(
                kind: .server, sqlState: SQLState.inFailedSQLTransaction,
                message: "the server rolled the transaction back at COMMIT", step: "commit")
        }
    }

    /// Rolls an open transaction back; a connection that cannot roll back is given up.
    func rollbackAfterFailure() {
        guard !self.isBroken else { return }
        switch PQtransactionStatus(self.handle) {
        case PQTRANS_IDLE:
            return
        case PQTRANS_INTRANS, PQTRANS_INERROR:
            do {
                try self.execute("ROLLBACK", step: "rollback")
            } catch {
                self.markBroken("ROLLBACK failed: \(error.message)")
            }
        default:
            self.markBroken("transaction state unknown after a failure")
        }
    }

    /// Returns the connection to a clean idle state before the pool hands it to someone else:
    /// a transaction left open by a caller is rolled back.
    func resetForReuse() {
        guard !self.isBroken else { return }
        if PQpipelineStatus(self.handle) != PQ_PIPELINE_OFF {
            self.markBroken("left in pipeline mode")
            return
        }
        self.rollbackAfterFailure()
    }

    /// A statement that failed only because an earlier one in the same transaction already
    /// failed (25P02) hides the cause; report the cause, so that a swallowed serialization
    /// failure is still retried.
    private func rootCause(of error: PostgresError) -> PostgresError {
        if error.sqlState == SQLState.inFailedSQLTransaction, let cause = self.lastServerError, cause.isRetryable {
            return cause
        }
        return error
    }
}
