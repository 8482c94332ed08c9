/// The limiter's answer for one request, and what its `RateLimit-*` headers say.
public struct RateLimitDecision: Sendable, Hashable {
    public var allowed: Bool
    /// The key's burst: the most requests it may make at once (`RateLimit-Limit`).
    public var limit: Int
    /// Requests the key could make right now after this one (`RateLimit-Remaining`).
    public var remaining: Int
    /// Seconds until the key's full burst is available again, rounded up (`RateLimit-Reset`).
    public var resetSeconds: Int
    /// For a refusal, seconds until a request would be allowed, rounded up and at least 1 (`Retry-After`).
    public var retryAfterSeconds: Int

    public init(allowed: Bool, limit: Int, remaining: Int, resetSeconds: Int, retryAfterSeconds: Int) {
        self.allowed = allowed
        self.limit = limit
        self.remaining = remaining
        self.resetSeconds = resetSeconds
        self.retryAfterSeconds = retryAfterSeconds
    }
}
