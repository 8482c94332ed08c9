public import Prometheus

/// The HTTP layer's metrics, registered on the service's Prometheus registry.
///
/// They are made on the registry directly rather than through the global MetricsSystem, so
/// that the library bootstraps nothing and an application (or a test) that builds two routers
/// gets two independent sets. Every label has a bounded set of values: the route pattern
/// (never a raw path), the method, the status code, and a fixed list of outcomes.
public struct HTTPMetrics: Sendable {
    public enum IdempotencyOutcome: String, Sendable, CaseIterable {
        /// Answered from Redis's cached response.
        case replayRedis = "replay_redis"
        /// Answered from the response stored in Postgres (Redis missed or was down).
        case replayPostgres = "replay_postgres"
        /// The key was used for another request: 422.
        case reused
        /// The key's first request was still running: 409.
        case inFlight = "in_flight"
        /// A Redis call failed; the request went on without Redis.
        case redisError = "redis_error"
    }

    /// Upper bounds of the request duration histogram: 1 ms to 10 s.
    public static let durationBuckets: [Duration] = [
        .milliseconds(1), .milliseconds(2), .milliseconds(5), .milliseconds(10), .milliseconds(25), .milliseconds(50),
        .milliseconds(100), .milliseconds(250), .milliseconds(500), .seconds(1), .seconds(2), .seconds(5), .seconds(10),
    ]

    public let registry: PrometheusCollectorRegistry

    public init(registry: PrometheusCollectorRegistry) {
        self.registry = registry
    }

    func request(route: String, method: String, status: Int, duration: Duration) {
        let labels = [("route", route), ("method", method), ("status", String(status))]
        registry.makeCounter(
            descriptor: MetricNameDescriptor(
                metricName: "ledger_http_requests", unitName: "total", helpText: "HTTP requests answered, by route pattern, method and status"
            ),
            labels: labels
        ).increment()
        registry.makeDurationHistogram(
            descriptor: MetricNameDescriptor(
                metricName: "ledger_http_request_duration", unitName: "seconds",
                helpText: "Time from request head to response, by route pattern, method and status"
            ),
            labels: labels,
            buckets: Self.durationBuckets
        ).record(duration)
    }

    func idempotency(_ outcome: IdempotencyOutcome) {
        registry.makeCounter(
            descriptor: MetricNameDescriptor(
                metricName: "ledger_idempotency", unitName: "total", helpText: "Idempotency decisions and Redis failures, by outcome"
            ),
            labels: [("outcome", outcome.rawValue)]
        ).increment()
    }
}
