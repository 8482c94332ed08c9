public import Logging
import Metrics
public import Redis
import Synchronization

/// Per-API-key rate limits enforced in Redis, shared by every `ledgerd` that uses the same Redis.
///
/// Each decision is one `EVALSHA` of `RateLimitScript.gcra`. Redis is an aid here, not the truth:
/// when it does not answer within `configuration.redisTimeout` (down, slow, circuit open) the
/// limiter says so with `nil`, counts it in `ledger_rate_limit_redis_errors_total`, logs it at
/// most once per `errorLogInterval`, and the caller fails open or closed as configured. The
/// Redis client reconnects on its own, so limiting resumes when Redis is back.
public final class RateLimiter: Sendable {
    public let configuration: RateLimitConfiguration

    let redis: RedisClient
    let logger: Logger
    private let redisErrors: Counter
    private let redisErrorTotal = Atomic<Int>(0)
    private let lastErrorLog = Mutex<ContinuousClock.Instant?>(nil)
    private let deadlines: ReplyDeadlines

    public init(redis: RedisClient, configuration: RateLimitConfiguration, logger: Logger) {
        precondition(configuration.defaultRatePerSecond >= 1 && configuration.defaultBurst >= 1, "default limits must be positive")
        precondition(configuration.redisTimeout > .zero, "redisTimeout must be positive")
        self.redis = redis
        self.configuration = configuration
        self.logger = logger
        self.redisErrors = Counter(label: "ledger_rate_limit_redis_errors_total")
        self.deadlines = ReplyDeadlines(timeout: configuration.redisTimeout)
    }

    /// Redis failures seen by this limiter since it was made (also exported as a metric).
    public var redisErrorCount: Int {
        redisErrorTotal.load(ordering: .relaxed)
    }

    /// Takes one request from the key's allowance, using the key's own limits where it has
    /// them and the configured defaults otherwise. Nil when Redis gave no answer in time.
    public func decide(keyID: String, ratePerSecond: Int?, burst: Int?) async -> RateLimitDecision? {
        let rate = ratePerSecond ?? configuration.defaultRatePerSecond
        let burst = burst ?? configuration.defaultBurst
        let reply: RedisReply
        switch await evalWithinTimeout(keyID: keyID, rate: rate, burst: burst) {
        case .success(let answer):
            reply = answer
        case .failure(let error):
            recordFailure(error)
            return nil
        }
        guard let values = reply.elements?.compactMap(\.int), values.count == 4 else {
            recordFailure(RedisError(kind: .protocolError, message: "the rate limit script answered \(reply)"))
            return nil
        }
        let allowed = values[0] == 1
        return RateLimitDecision(
            allowed: allowed,
            limit: burst,
            remaining: Int(max(0, min(values[1], Int64(burst)))),
            resetSeconds: Self.secondsRoundedUp(microseconds: values[3]),
            retryAfterSeconds: allowed ? 0 : max(1, Self.secondsRoundedUp(microseconds: values[2]))
        )
    }

    /// Runs the script, but waits for it no longer than `redisTimeout`.
    ///
    /// The Redis client bounds each call on its own, but a call that has to connect, or wait for
    /// a connection, may take a few times its command timeout; this bound is the one a request
    /// sees. A call that loses the race finishes in the background within the client's bound.
    private func evalWithinTimeout(keyID: String, rate: Int, burst: Int) async -> Result<RedisReply, RedisError> {
        let redis = redis
        let key = configuration.redisKeyPrefix + keyID
        let deadlines = deadlines
        return await withCheckedContinuation { (continuation: CheckedContinuation<Result<RedisReply, RedisError>, Never>) in
            let reply = PendingReply(continuation)
            deadlines.add(reply)
            Task {
                let result: Result<RedisReply, RedisError>
                do throws(RedisError) {
                    result = .success(try await redis.evalScript(RateLimitScript.gcra, keys: [key], args: [String(rate), String(burst)]))
                } catch {
                    result = .failure(error)
                }
                reply.finish(result)
            }
        }
    }

    private func recordFailure(_ error: RedisError) {
        redisErrors.increment()
        let total = redisErrorTotal.add(1, ordering: .relaxed).newValue
        let now = ContinuousClock.now
        let shouldLog = lastErrorLog.withLock { last in
            if let last, now < last.advanced(by: configuration.errorLogInterval) { return false }
            last = now
            return true
        }
        guard shouldLog else { return }
        logger.warning(
            "rate limiter cannot reach Redis; requests are \(configuration.failClosed ? "refused" : "served unlimited")",
            metadata: ["redis.error": "\(error)", "ledger.rate_limit.redis_errors": "\(total)"]
        )
    }

    static func secondsRoundedUp(microseconds: Int64) -> Int {
        guard microseconds > 0 else { return 0 }
        return Int((microseconds + 999_999) / 1_000_000)
    }
}

/// A continuation that the first of two racers resumes; the later one is ignored.
private final class PendingReply: Sendable {
    private let continuation: Mutex<CheckedContinuation<Result<RedisReply, RedisError>, Never>?>

    init(_ continuation: CheckedContinuation<Result<RedisReply, RedisError>, Never>) {
        self.continuation = Mutex(continuation)
    }

    func finish(_ result: Result<RedisReply, RedisError>) {
        continuation.withLock { waiting in
            waiting?.resume(returning: result)
            waiting = nil
        }
    }
}

/// Fails the replies whose time is up.
///
/// Every reply waits the same `timeout`, so deadlines come due in the order replies are added
/// and a queue is enough: one task sleeps until the oldest deadline, rather than a timer task
/// being started and cancelled for every request. The task ends when the queue is empty and
/// the next reply starts a new one. A reply answered in time stays queued until its deadline
/// passes, so the queue holds at most the replies of one `timeout`.
private final class ReplyDeadlines: Sendable {
    private struct State {
        var queue: [(deadline: ContinuousClock.Instant, reply: PendingReply)] = []
        var head = 0
        var sweeping = false
    }

    private let state = Mutex(State())
    private let timeout: Duration

    init(timeout: Duration) {
        self.timeout = timeout
    }

    func add(_ reply: PendingReply) {
        let deadline = ContinuousClock.now + timeout
        let startSweeper = state.withLock { state -> Bool in
            state.queue.append((deadline, reply))
            guard !state.sweeping else { return false }
            state.sweeping = true
            return true
        }
        if startSweeper {
            Task { await self.sweep() }
        }
    }

    private func sweep() async {
        while true {
            let (expired, next) = state.withLock { state -> ([PendingReply], ContinuousClock.Instant?) in
                let now = ContinuousClock.now
                var expired: [PendingReply] = []
                while state.head < state.queue.count, state.queue[state.head].deadline <= now {
                    expired.append(state.queue[state.head].reply)
                    state.head += 1
                }
                if state.head == state.queue.count {
                    state.queue.removeAll(keepingCapacity: true)
                    state.head = 0
                    state.sweeping = false
                    return (expired, nil)
                }
                if state.head > 1_024 {
                    state.queue.removeFirst(state.head)
                    state.head = 0
                }
                return (expired, state.queue[state.head].deadline)
            }
            for reply in expired {
                reply.finish(.failure(RedisError(kind: .timeout, message: "no answer within the rate limiter's \(timeout)")))
            }
            guard let next else { return }
            try? await Task.sleep(until: next, clock: .continuous)
        }
    }
}
