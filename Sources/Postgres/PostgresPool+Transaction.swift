public import Logging

extension PostgresPool {
    /// Runs `body` in a transaction: BEGIN ISOLATION LEVEL …; body; COMMIT.
    ///
    /// - A serialization failure (40001) or deadlock (40P01), raised by the body or by COMMIT,
    ///   rolls back, gives the connection back, waits a jittered backoff off the thread and runs
    ///   the body again, up to `retry.attemptsMax` attempts in all; then `.retriesExhausted`
    ///   carrying the last SQLSTATE. The body must therefore be safe to run more than once.
    /// - A connection that turns out dead at BEGIN is replaced and the attempt repeated, since
    ///   nothing of the body ran.
    /// - Any other error rolls back (if the connection is alive) and is rethrown unchanged,
    ///   whether it is a `PostgresError` or the body's own.
    /// - When `pipelined`, BEGIN goes out with the body's first statements and the body may
    ///   end the transaction itself with `pipeline(_:committing: true)`: a transaction of two
    ///   pipelines takes two round trips instead of four. The committing pipeline must be the
    ///   body's last statement: a statement after it is refused with an error that is not
    ///   retried, since the transaction has committed and a retry would apply it twice. The
    ///   body must not throw a retryable error of its own after it either.
    public func withTransaction<Value: Sendable>(
        _ isolation: IsolationLevel,
        retry: RetryPolicy = .default,
        pipelined: Bool = false,
        logger: Logger,
        _ body: @escaping @Sendable (PostgresConnection) throws -> Value
    ) async throws -> Value {
        let start = ContinuousClock.now
        defer {
            self.metrics.recordTransaction(isolation, duration: ContinuousClock.now - start)
        }
        var attempt = 1
        while true {
            do {
                return try await self.withConnection { connection in
                    try connection.runTransaction(isolation, pipelined: pipelined, body)
                }
            } catch let error as PostgresError where error.isRetryable || Self.isDeadAtBegin(error) {
                guard attempt < retry.attemptsMax else {
                    guard error.isRetryable else {
                        throw error
                    }
                    self.metrics.recordRetriesExhausted()
                    logger.warning(
                        "database transaction gave up after retries",
                        metadata: ["db.sqlstate": "\(error.sqlState ?? "")", "db.attempt": "\(attempt)"])
                    throw PostgresError(
                        kind: .retriesExhausted,
                        sqlState: error.sqlState,
                        message: "gave up after \(attempt) attempts: \(error.message)",
                        detail: error.detail,
                        constraint: error.constraint,
                        table: error.table,
                        step: error.step)
                }
                if error.isRetryable {
                    self.metrics.recordRetry(sqlState: error.sqlState)
                    let pause = retry.backoff(afterAttempt: attempt)
                    logger.debug(
                        "database transaction retried",
                        metadata: [
                            "db.sqlstate": "\(error.sqlState ?? "")", "db.attempt": "\(attempt)",
                            "db.step": "\(error.step)", "db.backoff_us": "\(pause.nanosecondsClamped / 1000)",
                        ])
                    try await Task.sleep(for: pause)
                } else {
                    logger.info("database connection was dead at BEGIN; retrying on a new one")
                }
                attempt += 1
            }
        }
    }

    private static func isDeadAtBegin(_ error: PostgresError) -> Bool {
        error.kind == .connectionLost && error.step == "begin"
    }
}
