/// How the per-key rate limiter behaves (PRODUCT.md §4).
public struct RateLimitConfiguration: Sendable, Hashable {
    /// Requests per second for keys made without `--rate`.
    public var defaultRatePerSecond: Int = 1_000
    /// Burst for keys made without `--burst`.
    public var defaultBurst: Int = 2_000
    /// With Redis down or slow: false (the default) serves the request unlimited, true refuses
    /// it with 503 `unavailable`.
    public var failClosed: Bool = false
    /// The most the limiter adds to a request; past it the request goes on as if Redis were down.
    public var redisTimeout: Duration = .milliseconds(50)
    /// Redis failures are logged at most once per this interval (every one is counted).
    public var errorLogInterval: Duration = .seconds(10)
    /// Prefix of the Redis keys that hold each API key's state.
    public var redisKeyPrefix: String = "ledger:ratelimit:"

    /// The bound on rates, bursts and the timeout that configuration may set.
    public static let limitMax = 1_000_000
    public static let redisTimeoutMillisecondsMax = 1_000

    public init() {}

    /// Reads `LEDGER_RATE_LIMIT_DEFAULT_PER_SECOND`, `LEDGER_RATE_LIMIT_DEFAULT_BURST`,
    /// `LEDGER_RATE_LIMIT_FAIL_CLOSED` (`true`/`false`/`1`/`0`) and `LEDGER_RATE_LIMIT_TIMEOUT_MS`;
    /// unset or empty variables keep the defaults, and a bad value is an error rather than a
    /// silent default.
    public init(environment: [String: String]) throws(InvalidValue) {
        self.init()
        func value(_ name: String) -> String? {
            guard let text = environment[name], !text.isEmpty else { return nil }
            return text
        }
        func integer(_ name: String, in range: ClosedRange<Int>) throws(InvalidValue) -> Int? {
            guard let text = value(name) else { return nil }
            guard let number = Int(text), range.contains(number) else {
                throw InvalidValue(variable: name, message: "must be an integer from \(range.lowerBound) to \(range.upperBound)")
            }
            return number
        }
        if let rate = try integer("LEDGER_RATE_LIMIT_DEFAULT_PER_SECOND", in: 1...Self.limitMax) {
            defaultRatePerSecond = rate
        }
        if let burst = try integer("LEDGER_RATE_LIMIT_DEFAULT_BURST", in: 1...Self.limitMax) {
            defaultBurst = burst
        }
        if let timeout = try integer("LEDGER_RATE_LIMIT_TIMEOUT_MS", in: 1...Self.redisTimeoutMillisecondsMax) {
            redisTimeout = .milliseconds(timeout)
        }
        if let text = value("LEDGER_RATE_LIMIT_FAIL_CLOSED") {
            switch text.lowercased() {
            case "true", "1", "yes", "on": failClosed = true
            case "false", "0", "no", "off": failClosed = false
            default: throw InvalidValue(variable: "LEDGER_RATE_LIMIT_FAIL_CLOSED", message: "must be true or false")
            }
        }
    }

    /// A configuration variable with a value it cannot have.
    public struct InvalidValue: Error, Sendable, Hashable, CustomStringConvertible {
        public var variable: String
        public var message: String
        public var description: String { "\(variable) \(message)" }
    }
}
