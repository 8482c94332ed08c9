public import LedgerStore
public import Postgres
public import Prometheus
public import Redis

/// What the HTTP layer talks to. The application that owns them starts and stops them.
public struct LedgerServices: Sendable {
    /// The single write path: every write of every route is submitted here.
    public var committer: Committer
    public var reader: LedgerReader
    /// Only for readiness probes; the HTTP layer runs no SQL.
    public var pool: PostgresPool
    /// Idempotency cache and in-flight locks.
    public var redis: RedisClient
    /// Rendered by /metrics; the HTTP layer's own metrics are registered on it.
    public var metricsRegistry: PrometheusCollectorRegistry

    public init(
        committer: Committer, reader: LedgerReader, pool: PostgresPool, redis: RedisClient, metricsRegistry: PrometheusCollectorRegistry
    ) {
        self.committer = committer
        self.reader = reader
        self.pool = pool
        self.redis = redis
        self.metricsRegistry = metricsRegistry
    }
}
