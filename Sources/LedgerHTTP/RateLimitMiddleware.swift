public import HTTPTypes
public import Hummingbird
import LedgerStore
import Logging

/// Limits each API key's request rate (PRODUCT.md §4). Runs after `AuthMiddleware`: requests
/// without a key (open routes) pass untouched.
///
/// Every limited response carries `RateLimit-Limit`, `RateLimit-Remaining` and
/// `RateLimit-Reset`; a refusal is 429 `rate_limited` with `Retry-After`. When Redis gives no
/// answer in time the request is served without headers (fail open), or refused with 503
/// `unavailable` when the configuration says to fail closed.
public struct RateLimitMiddleware<Context: AuthenticatedRequestContext>: RouterMiddleware {
    let limiter: RateLimiter
    let limits: @Sendable (String) -> (ratePerSecond: Int?, burst: Int?)

    /// Limits from the keys that `AuthMiddleware` just found through the same cache.
    public init(limiter: RateLimiter, keys: AuthKeyCache) {
        self.init(limiter: limiter) { id in
            let key = keys.cachedKey(id: id)
            return (key?.ratePerSecond, key?.burst)
        }
    }

    /// Limits from any source: a key id in, its own rate and burst out (nil for the defaults).
    public init(limiter: RateLimiter, limits: @escaping @Sendable (String) -> (ratePerSecond: Int?, burst: Int?)) {
        self.limiter = limiter
        self.limits = limits
    }

    public static var limitHeader: HTTPField.Name { HTTPField.Name("RateLimit-Limit")! }
    public static var remainingHeader: HTTPField.Name { HTTPField.Name("RateLimit-Remaining")! }
    public static var resetHeader: HTTPField.Name { HTTPField.Name("RateLimit-Reset")! }

    public func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        guard let keyID = context.apiKeyID else {
            return try await next(request, context)
        }
        let (rate, burst) = limits(keyID)
        guard let decision = await limiter.decide(keyID: keyID, ratePerSecond: rate, burst: burst) else {
            if limiter.configuration.failClosed {
                return AuthProblem.unavailable("the rate limiter cannot reach its store", retryAfterSeconds: 1).response()
            }
            return try await next(request, context)
        }
        guard decision.allowed else {
            context.logger.debug("request rate limited", metadata: ["ledger.rate_limit.retry_after_s": "\(decision.retryAfterSeconds)"])
            var problem = AuthProblem(
                status: .tooManyRequests, code: "rate_limited",
                detail: "this API key has used its allowance of \(rate ?? limiter.configuration.defaultRatePerSecond) requests per second; retry after \(decision.retryAfterSeconds) s"
            )
            problem.headers[.retryAfter] = String(decision.retryAfterSeconds)
            Self.addHeaders(decision, to: &problem.headers)
            return problem.response()
        }
        var response = try await next(request, context)
        Self.addHeaders(decision, to: &response.headers)
        return response
    }

    static func addHeaders(_ decision: RateLimitDecision, to headers: inout HTTPFields) {
        headers[limitHeader] = String(decision.limit)
        headers[remainingHeader] = String(decision.remaining)
        headers[resetHeader] = String(decision.resetSeconds)
    }
}
