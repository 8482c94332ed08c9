public import Logging
public import Postgres
public import ServiceLifecycle

/// Deletes idempotency keys past their retention, oldest first, in small batches so that the
/// purge never holds locks or bloats a transaction for long.
public struct IdempotencyPurger: Service {
    /// How long a key and its response are kept (PRODUCT.md §3: at least 24 hours).
    public var retention: Duration
    public var interval: Duration = .seconds(60)
    public var keysPerBatchMax = 1_000
    /// Batches per run, so one run is bounded even after a long outage.
    public var batchesPerRunMax = 100

    let pool: PostgresPool
    let logger: Logger

    public init(pool: PostgresPool, retention: Duration = .seconds(86_400), logger: Logger) {
        self.pool = pool
        self.retention = retention
        self.logger = logger
    }

    public func run() async throws {
        while !Task.isCancelledOrShuttingDown {
            do {
                let purged = try await purge()
                if purged > 0 { logger.info("idempotency keys purged", metadata: ["ledger.idempotency.purged": "\(purged)"]) }
            } catch {
                logger.warning("idempotency purge failed", metadata: ["error": "\(error)"])
            }
            try? await Task.sleep(for: interval)
        }
    }

    /// One run; returns how many keys it deleted.
    public func purge() async throws -> Int {
        let retentionSeconds = retention.components.seconds
        var total = 0
        for _ in 0..<batchesPerRunMax {
            let deleted = try await pool.withConnection { [keysPerBatchMax] connection in
                try connection.query(
                    "DELETE FROM idempotency_keys WHERE (scope, key) IN (SELECT scope, key FROM idempotency_keys"
                        + " WHERE created_at < now() - make_interval(secs => $1) ORDER BY created_at LIMIT $2)",
                    [.init(retentionSeconds), .init(keysPerBatchMax)], step: "purge idempotency keys"
                ).affectedRows
            }
            total += deleted
            if deleted < keysPerBatchMax { break }
        }
        return total
    }
}
