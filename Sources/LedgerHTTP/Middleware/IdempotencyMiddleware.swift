public import Hummingbird
import LedgerStore
import Logging

/// Idempotency-Key handling for every POST under /v1 (PRODUCT.md §3).
///
/// Redis answers what it can cheaply: a cached completed response is replayed (or refused as
/// reused) without touching Postgres, and a lock keeps a duplicate that arrives while the
/// first is running from queueing a second write. Postgres is the truth: the write handler
/// hands the key to the committer, which stores the response in the same transaction as the
/// writes and replays or refuses on its own. So when Redis is down, slow or flushed, every
/// Redis step is skipped (each bounded by the client's timeout) and the answers stay the same;
/// only the in-flight 409 is lost, and a duplicate then gets the first request's stored reply.
public struct IdempotencyMiddleware: RouterMiddleware {
    public typealias Context = LedgerRequestContext

    let cache: IdempotencyCache
    let metrics: HTTPMetrics
    let keyBytesMax: Int

    init(cache: IdempotencyCache, metrics: HTTPMetrics, keyBytesMax: Int) {
        self.cache = cache
        self.metrics = metrics
        self.keyBytesMax = keyBytesMax
    }

    public func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        guard request.method == .post, context.endpointPath != nil else {
            return try await next(request, context)
        }
        let key = try IdempotencyKey.validate(request.headers[IdempotencyKey.headerName], bytesMax: keyBytesMax)
        let scope = context.apiKeyID ?? "default"
        var context = context
        let fingerprint = IdempotencyKey.fingerprint(
            method: request.method.rawValue, path: request.uri.path, body: context.body(),
            rawBody: Array(context.requestBody.readableBytesView)
        )

        var lockToken: String?
        switch await cache.arrive(scope: scope, key: key) {
        case .cached(let cached, let token):
            if let token { await cache.finish(scope: scope, key: key, cache: nil, lockToken: token) }
            guard cached.fingerprint == fingerprint else {
                metrics.idempotency(.reused)
                throw Problem.idempotencyKeyReused
            }
            metrics.idempotency(.replayRedis)
            return cached.response.httpResponse(replayed: true)
        case .locked(let token):
            lockToken = token
        case .inFlight:
            metrics.idempotency(.inFlight)
            throw Problem.idempotencyKeyInFlight
        case .redisError(let token):
            lockToken = token
        }

        let ticket = IdempotencyTicket(scope: scope, key: key, fingerprint: fingerprint)
        context.idempotency = ticket
        let response: Response
        do {
            response = try await next(request, context)
        } catch {
            // A failure that was not stored (a 5xx, a refused key) leaves the key free again.
            if case .keyReused = ticket.outcome { metrics.idempotency(.reused) }
            await cache.finish(scope: scope, key: key, cache: nil, lockToken: lockToken)
            throw error
        }
        var completed: IdempotencyCache.CachedResponse?
        if case .stored(let stored, let replayed) = ticket.outcome {
            if replayed { metrics.idempotency(.replayPostgres) }
            completed = IdempotencyCache.CachedResponse(fingerprint: fingerprint, response: stored)
        }
        // The answer is cached in the same round trip that unlocks, before the lock goes, so a
        // duplicate never finds neither the lock nor the answer.
        await cache.finish(scope: scope, key: key, cache: completed, lockToken: lockToken)
        return response
    }
}
