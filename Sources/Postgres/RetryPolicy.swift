/// How often `withTransaction` runs a transaction that fails with a retryable SQLSTATE, and how
/// long it waits in between: capped exponential backoff with full jitter, so that transactions
/// that collided once do not collide again in lockstep.
public struct RetryPolicy: Sendable, Hashable {
    /// Attempts in total, the first included; 1 means never retry.
    public var attemptsMax: Int = 10
    /// The backoff ceiling after the first failure; it doubles with every further failure.
    public var backoffBase: Duration = .milliseconds(2)
    /// The backoff ceiling never grows past this.
    public var backoffMax: Duration = .milliseconds(250)

    public static let `default` = RetryPolicy()

    public init(attemptsMax: Int = 10, backoffBase: Duration = .milliseconds(2), backoffMax: Duration = .milliseconds(250)) {
        precondition(attemptsMax >= 1, "attemptsMax must allow the first attempt")
        precondition(backoffBase >= .zero && backoffMax >= .zero, "backoff must not be negative")
        self.attemptsMax = attemptsMax
        self.backoffBase = backoffBase
        self.backoffMax = backoffMax
    }

    /// The pause after failed attempt number `attempt` (1-based): uniform in
    /// 0...min(backoffMax, backoffBase · 2^(attempt-1)).
    public func backoff<Generator: RandomNumberGenerator>(afterAttempt attempt: Int, using generator: inout Generator) -> Duration {
        let exponent = min(max(attempt - 1, 0), 30)
        let ceiling = min(self.backoffMax, self.backoffBase * (1 << exponent))
        let ceilingNanoseconds = ceiling.nanosecondsClamped
        guard ceilingNanoseconds > 0 else { return .zero }
        return .nanoseconds(Int64.random(in: 0...ceilingNanoseconds, using: &generator))
    }

    public func backoff(afterAttempt attempt: Int) -> Duration {
        var generator = SystemRandomNumberGenerator()
        return self.backoff(afterAttempt: attempt, using: &generator)
    }
}

extension Duration {
    var nanosecondsClamped: Int64 {
        let (seconds, attoseconds) = self.components
        let secondsMax = Int64.max / 1_000_000_000 - 1
        guard seconds < secondsMax else { return Int64.max }
        return seconds * 1_000_000_000 + attoseconds / 1_000_000_000
    }
}
