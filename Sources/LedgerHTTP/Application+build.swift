public import Hummingbird
import LedgerStore
public import Logging
import NIOCore

/// The HTTP application: the router below, listening on `configuration.host:port`.
///
/// It starts nothing else: the caller runs it in a ServiceGroup beside the committer and the
/// background services, and owns the clients in `services`.
public func buildApplication(
    _ services: LedgerServices, configuration: HTTPConfiguration, logger: Logger
) -> some ApplicationProtocol {
    let router = buildRouter(services, configuration: configuration, logger: logger)
    return Application(
        router: router,
        configuration: ApplicationConfiguration(address: .hostname(configuration.host, port: configuration.port)),
        onServerRunning: { channel in
            logger.info(
                "listening",
                metadata: [
                    "http.address": "\(channel.localAddress?.ipAddress ?? configuration.host)",
                    "http.port": "\(channel.localAddress?.port ?? configuration.port)",
                ]
            )
        },
        logger: logger
    )
}

/// The router: middleware in order, then every route of `RouteTable`.
///
/// Order matters and is deliberate. Request id is outermost so every response, errors
/// included, carries `X-Request-Id`; metrics next, so they see the final status of everything
/// inside; then the body limit, so nothing reads a body it has not capped; then access control;
/// then idempotency, which must know the caller (its keys are scoped by API key) and must run
/// only for requests that access control let through.
public func buildRouter(
    _ services: LedgerServices, configuration: HTTPConfiguration, logger: Logger
) -> Router<LedgerRequestContext> {
    let metrics = HTTPMetrics(registry: services.metricsRegistry)
    let router = Router(context: LedgerRequestContext.self)
    router.add(middleware: RequestIDMiddleware())
    router.add(middleware: RequestMetricsMiddleware(metrics: metrics))
    router.add(
        middleware: BodyLimitMiddleware(
            bytesMax: configuration.requestBodyBytesMax,
            bytesMaxByRoute: ["/v1/transfers/batch": configuration.batchBodyBytesMax]
        )
    )

    let operational = OperationalRoutes(
        pool: services.pool, redis: services.redis, registry: services.metricsRegistry,
        readinessTimeout: configuration.readinessTimeout
    )
    for route in RouteTable.operational {
        router.on(RouterPath(route.path), method: route.method, use: operationalHandler(route, operational))
    }

    let v1 = router.group()

    // MARK: Authentication and rate limiting
    // Only on the /v1 group, so health checks and metrics stay open; after the body limit and
    // before idempotency, whose keys are scoped by the API key these find.
    let keys = AuthKeyCache(
        store: APIKeyStore(pool: services.pool),
        timeToLive: configuration.apiKeyCacheTimeToLive, entriesMax: configuration.apiKeyCacheEntriesMax
    )
    v1.add(middleware: AuthMiddleware(keys: keys, policy: .ledger))
    v1.add(
        middleware: RateLimitMiddleware(
            limiter: RateLimiter(redis: services.redis, configuration: configuration.rateLimit, logger: logger), keys: keys
        )
    )

    v1.add(
        middleware: IdempotencyMiddleware(
            cache: IdempotencyCache(
                redis: services.redis, retention: configuration.idempotency.retention,
                lockTTL: configuration.idempotency.lockTTL, logger: logger, metrics: metrics,
                redisErrorLogInterval: configuration.idempotency.redisErrorLogInterval
            ),
            metrics: metrics,
            keyBytesMax: configuration.idempotency.keyBytesMax
        )
    )
    let routes = LedgerRoutes(
        reader: services.reader, writes: WriteExecutor(committer: services.committer),
        pageItemsDefault: configuration.pageItemsDefault
    )
    for route in RouteTable.v1 {
        v1.on(RouterPath(route.path), method: route.method, use: v1Handler(route, routes))
    }
    return router
}

private typealias Handler = @Sendable (Request, LedgerRequestContext) async throws -> Response

private func operationalHandler(_ route: RouteTable.Route, _ routes: OperationalRoutes) -> Handler {
    switch route.path {
    case "/healthz": routes.health
    case "/readyz": routes.readiness
    case "/metrics": routes.metrics
    default: preconditionFailure("no handler for \(route)")
    }
}

private func v1Handler(_ route: RouteTable.Route, _ routes: LedgerRoutes) -> Handler {
    switch (route.method, route.path) {
    case (.post, "/v1/accounts"): routes.createAccount
    case (.get, "/v1/accounts"): routes.listAccounts
    case (.get, "/v1/accounts/{id}"): routes.getAccount
    case (.get, "/v1/accounts/{id}/entries"): routes.listEntries
    case (.get, "/v1/accounts/{id}/balance"): routes.getBalance
    case (.post, "/v1/transfers"): routes.createTransfer
    case (.post, "/v1/transfers/batch"): routes.createBatch
    case (.get, "/v1/transfers/{id}"): routes.getTransfer
    case (.post, "/v1/transfers/{id}/post"): routes.postPending
    case (.post, "/v1/transfers/{id}/void"): routes.voidPending
    default: preconditionFailure("no handler for \(route)")
    }
}
