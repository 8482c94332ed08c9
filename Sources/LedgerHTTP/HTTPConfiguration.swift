/// Everything the HTTP layer can be tuned by; every limit names its unit.
public struct HTTPConfiguration: Sendable {
    /// Address to listen on.
    public var host = "127.0.0.1"
    public var port = 8080

    /// Bodies above this get 413 `payload_too_large` before they are buffered (PRODUCT.md §2).
    public var requestBodyBytesMax = 1 << 20
    /// The batch route's own limit: 8,190 transfers of a few hundred bytes each.
    public var batchBodyBytesMax = 16 << 20

    public var idempotency = Idempotency()

    /// Per-API-key rate limits and what to do when Redis cannot be asked (PRODUCT.md §4).
    public var rateLimit = RateLimitConfiguration()
    /// How long an API key lookup is reused; at most a second, so revocations are prompt.
    public var apiKeyCacheTimeToLive: Duration = .seconds(1)
    /// The most API key lookups remembered at once.
    public var apiKeyCacheEntriesMax = 10_000

    /// How long /readyz waits for each of Postgres and Redis before calling it unavailable.
    public var readinessTimeout: Duration = .seconds(2)

    /// Items a list page returns when the client does not say.
    public var pageItemsDefault = 100

    public struct Idempotency: Sendable {
        /// How long a completed response stays cached in Redis. Postgres keeps it at least as
        /// long (its purger runs with the same setting in `ledgerd`).
        public var retention: Duration = .seconds(86_400)
        /// How long the in-flight lock lives if its holder dies without releasing it. Longer than
        /// any write takes; a write still running past it is answered correctly by Postgres anyway.
        public var lockTTL: Duration = .seconds(30)
        /// Redis failures are logged at most once per interval; the metric counts every one.
        public var redisErrorLogInterval: Duration = .seconds(10)
        /// Bytes of an `Idempotency-Key` header value.
        public var keyBytesMax = 255

        public init() {}
    }

    public init() {}
}
