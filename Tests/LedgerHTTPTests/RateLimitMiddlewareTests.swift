import Foundation
import Hummingbird
import HummingbirdTesting
import LedgerHTTP
import LedgerStore
import Logging
import Redis
import Synchronization
import Testing

#if canImport(Glibc)
import Glibc
#endif

/// A redis-server of the test's own on a free port, so the test can stop, freeze and restart it.
/// It is stopped by its PID, on every path, by `withRedisServer`.
final class OwnRedisServer: @unchecked Sendable {
    let port: Int
    private var process: Process?

    init(port: Int) {
        self.port = port
    }

    func start() async throws {
        let process = Process()
        // `env` finds redis-server on PATH and execs it, so the PID stays the server's own.
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = ["redis-server", "--port", String(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no", "--loglevel", "warning"]
        process.standardOutput = FileHandle.nullDevice
        try process.run()
        self.process = process
        // Ready when it answers; a fresh client each try so no circuit is left open.
        for _ in 0..<100 {
            let probe = RedisClient(configuration: RedisConfiguration(port: port), logger: Logger(label: "probe"))
            let answered = (try? await probe.ping()) != nil
            await probe.close()
            if answered { return }
            try await Task.sleep(for: .milliseconds(50))
        }
        stop()
        throw TestFailure("redis-server on port \(port) did not start")
    }

    func signal(_ number: Int32) {
        guard let process, process.isRunning else { return }
        kill(process.processIdentifier, number)
    }

    /// Stops the server and waits for it to exit. SIGKILL, because a child inherits the test
    /// process's blocked signal mask, in which SIGTERM may be blocked; the server keeps no data.
    func stop() {
        guard let process else { return }
        if process.isRunning {
            kill(process.processIdentifier, SIGKILL)
        }
        process.waitUntilExit()
        self.process = nil
    }

    /// A TCP port that nothing listens on right now.
    static func freePort() throws -> Int {
        let socketFD = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        guard socketFD >= 0 else { throw TestFailure("socket failed") }
        defer { close(socketFD) }
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        address.sin_port = 0
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        let bound = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(socketFD, $0, length) }
        }
        guard bound == 0 else { throw TestFailure("bind failed") }
        let named = withUnsafeMutablePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(socketFD, $0, &length) }
        }
        guard named == 0 else { throw TestFailure("getsockname failed") }
        return Int(UInt16(bigEndian: address.sin_port))
    }
}

struct TestFailure: Error, CustomStringConvertible {
    var description: String
    init(_ description: String) { self.description = description }
}

/// Runs `body` with a redis-server of its own, stopped by PID however `body` ends.
func withRedisServer(_ body: (OwnRedisServer) async throws -> Void) async throws {
    let server = OwnRedisServer(port: try OwnRedisServer.freePort())
    do {
        try await server.start()
        try await body(server)
    } catch {
        server.stop()
        throw error
    }
    server.stop()
}

/// The shared Redis of the test run, from REDIS_URL; its absence fails the test.
func sharedRedisConfiguration() throws -> RedisConfiguration {
    guard let url = ProcessInfo.processInfo.environment["REDIS_URL"], !url.isEmpty else {
        throw TestFailure("REDIS_URL is not set: run the tests with `make test`, which starts Redis")
    }
    return try RedisConfiguration(url: url)
}

/// One `ledgerd`'s worth of access control: its own Redis client, limiter, key cache and router.
struct AccessStack {
    let redis: RedisClient
    let limiter: RateLimiter
    let app: Application<RouterResponder<AuthTestContext>>

    /// Limits for tests of what the limiter decides rather than how fast: a generous timeout, so
    /// a first connection on a busy machine does not fail open and change the count. One second
    /// was not enough once: with every suite running at once on two cores, property tests can
    /// hold both of the process's threads long enough for a Redis answer to come too late.
    static var patientLimits: RateLimitConfiguration {
        var limits = RateLimitConfiguration()
        limits.redisTimeout = .seconds(5)
        return limits
    }

    init(store: APIKeyStore, redis configuration: RedisConfiguration, limits: RateLimitConfiguration = patientLimits, logger: Logger = Logger(label: "test")) {
        redis = RedisClient(configuration: configuration, logger: logger)
        limiter = RateLimiter(redis: redis, configuration: limits, logger: logger)
        app = Application(router: accessRouter(keys: AuthKeyCache(store: store), limiter: limiter), logger: logger)
    }

    func close() async {
        await redis.close()
    }
}

/// Runs `body` with the stacks and closes their Redis clients on every path.
func withStacks(_ stacks: [AccessStack], _ body: () async throws -> Void) async throws {
    do {
        try await body()
    } catch {
        for stack in stacks { await stack.close() }
        throw error
    }
    for stack in stacks { await stack.close() }
}

@Suite("RateLimitMiddleware")
struct RateLimitMiddlewareTests {
    /// A 1/s limit refills one request a second, so "quick" requests must all fit in less than
    /// that; the bound keeps 100 ms of it for the gap between this clock and the limiter's. On a
    /// busy machine a round may still be slower; such a round proves nothing, and the test tries
    /// again with a fresh key, up to `attemptsMax` times.
    static let attemptsMax = 5
    static let quickRoundMax: Duration = .milliseconds(900)

    @Test("a key limited to 1/s with burst 5 gets 429 with Retry-After on the sixth quick request, then is served again")
    func burstThenRefusal() async throws {
        try await withKeyDatabase { store async throws in
            let stack = AccessStack(store: store, redis: try sharedRedisConfiguration())
            try await withStacks([stack]) { () async throws in
                try await stack.app.test(.router) { client async throws in
                    for _ in 0..<Self.attemptsMax {
                        let (_, secret) = try await store.create(name: "limited", scopes: [.transfersWrite], ratePerSecond: 1, burst: 5)
                        // A route the key has no scope for fills the key cache without touching the
                        // limit, so the timed round is only the limiter's work.
                        let warm = try await client.execute(uri: "/v1/accounts", method: .get, headers: bearer(secret))
                        #expect(warm.status == .forbidden)
                        let started = ContinuousClock.now
                        var responses: [TestResponse] = []
                        for _ in 0..<6 {
                            responses.append(try await client.execute(uri: "/v1/transfers", method: .post, headers: bearer(secret)))
                        }
                        guard ContinuousClock.now - started < Self.quickRoundMax else { continue }
                        for (index, response) in responses.prefix(5).enumerated() {
                            #expect(response.status == .ok)
                            #expect(response.headers[RateLimitMiddleware<AuthTestContext>.limitHeader] == "5")
                            #expect(response.headers[RateLimitMiddleware<AuthTestContext>.remainingHeader] == String(4 - index))
                            // The bucket lacks index + 1 requests, at one a second, less the part
                            // of a second that has passed.
                            #expect(response.headers[RateLimitMiddleware<AuthTestContext>.resetHeader] == String(index + 1))
                        }
                        let refused = responses[5]
                        try AuthMiddlewareTests.expectProblem(refused, status: .tooManyRequests, code: "rate_limited")
                        let retryAfter = try #require(refused.headers[.retryAfter].flatMap { Int($0) })
                        #expect(retryAfter == 1)
                        #expect(refused.headers[RateLimitMiddleware<AuthTestContext>.remainingHeader] == "0")
                        try await Task.sleep(for: .seconds(retryAfter))
                        let again = try await client.execute(uri: "/v1/transfers", method: .post, headers: bearer(secret))
                        #expect(again.status == .ok)
                        return
                    }
                    Issue.record("no round of six requests finished within \(Self.quickRoundMax) in \(Self.attemptsMax) attempts")
                }
            }
        }
    }

    @Test("two instances, each with its own Redis client and middleware, share one limit")
    func sharedLimit() async throws {
        try await withKeyDatabase { store async throws in
            let configuration = try sharedRedisConfiguration()
            let first = AccessStack(store: store, redis: configuration)
            let second = AccessStack(store: store, redis: configuration)
            try await withStacks([first, second]) { () async throws in
                try await first.app.test(.router) { one async throws in
                    try await second.app.test(.router) { two async throws in
                        for _ in 0..<Self.attemptsMax {
                            let (_, secret) = try await store.create(name: "shared", scopes: [.read], ratePerSecond: 1, burst: 5)
                            let started = ContinuousClock.now
                            var statuses: [HTTPResponse.Status] = []
                            for index in 0..<8 {
                                let client: any TestClientProtocol = index.isMultiple(of: 2) ? one : two
                                statuses.append(try await client.execute(uri: "/v1/accounts", method: .get, headers: bearer(secret)).status)
                            }
                            // The first two requests also fill each instance's key cache from Postgres.
                            guard ContinuousClock.now - started < Self.quickRoundMax else { continue }
                            #expect(statuses.prefix(5).allSatisfy { $0 == .ok }, "\(statuses)")
                            #expect(statuses.suffix(3).allSatisfy { $0 == .tooManyRequests }, "\(statuses)")
                            return
                        }
                        Issue.record("no round of eight requests finished quickly enough in \(Self.attemptsMax) attempts")
                    }
                }
            }
        }
    }

    @Test("keys without limits get the configured defaults; open routes are not limited")
    func defaultLimits() async throws {
        try await withKeyDatabase { store async throws in
            let (_, secret) = try await store.create(name: "defaults", scopes: [.read])
            var limits = AccessStack.patientLimits
            limits.defaultRatePerSecond = 1
            limits.defaultBurst = 3
            let stack = AccessStack(store: store, redis: try sharedRedisConfiguration(), limits: limits)
            try await withStacks([stack]) { () async throws in
                try await stack.app.test(.router) { client async throws in
                    // A burst of 3 at 1/s: quick requests exhaust it. On a busy machine a token may
                    // come back between two requests, so the test sends a few more than the burst.
                    var statuses: [HTTPResponse.Status] = []
                    for _ in 0..<8 {
                        let response = try await client.execute(uri: "/v1/accounts", method: .get, headers: bearer(secret))
                        #expect(response.headers[RateLimitMiddleware<AuthTestContext>.limitHeader] == "3")
                        statuses.append(response.status)
                        if response.status == .tooManyRequests { break }
                    }
                    #expect(Array(statuses.prefix(3)) == [.ok, .ok, .ok])
                    #expect(statuses.last == .tooManyRequests, "\(statuses)")
                    for _ in 0..<5 {
                        let health = try await client.execute(uri: "/healthz", method: .get)
                        #expect(health.status == .ok)
                        #expect(health.headers[RateLimitMiddleware<AuthTestContext>.limitHeader] == nil)
                    }
                }
            }
        }
    }

    @Test("with Redis on a dead port requests are served, each within the limiter's budget, and it is logged once")
    func deadRedisFailsOpen() async throws {
        try await withKeyDatabase { store async throws in
            let (_, secret) = try await store.create(name: "no redis", scopes: [.read], ratePerSecond: 1, burst: 1)
            let capture = LogCapture()
            let stack = AccessStack(
                store: store, redis: RedisConfiguration(port: try OwnRedisServer.freePort()), limits: RateLimitConfiguration(),
                logger: capture.logger()
            )
            let requests = Atomic<Int>(1)
            try await withStacks([stack]) { () async throws in
                try await stack.app.test(.router) { client async throws in
                    // The first request also fills the key cache from Postgres; time the rest.
                    #expect(try await client.execute(uri: "/v1/accounts", method: .get, headers: bearer(secret)).status == .ok)
                    let sent = try await Self.expectWithinBudget(client: client, secret: secret) { response in
                        #expect(response.status == .ok)
                        #expect(response.headers[RateLimitMiddleware<AuthTestContext>.limitHeader] == nil)
                    }
                    requests.add(sent, ordering: .relaxed)
                }
            }
            #expect(stack.limiter.redisErrorCount == requests.load(ordering: .relaxed))
            #expect(capture.all.filter { $0.contains("rate limiter cannot reach Redis") }.count == 1)
        }
    }

    @Test("configured to fail closed, a dead Redis means 503 unavailable with Retry-After")
    func deadRedisFailsClosed() async throws {
        try await withKeyDatabase { store async throws in
            let (_, secret) = try await store.create(name: "closed", scopes: [.read])
            var limits = RateLimitConfiguration()
            limits.failClosed = true
            let stack = AccessStack(store: store, redis: RedisConfiguration(port: try OwnRedisServer.freePort()), limits: limits)
            try await withStacks([stack]) { () async throws in
                try await stack.app.test(.router) { client async throws in
                    let response = try await client.execute(uri: "/v1/accounts", method: .get, headers: bearer(secret))
                    try AuthMiddlewareTests.expectProblem(response, status: .serviceUnavailable, code: "unavailable")
                    #expect(response.headers[.retryAfter] == "1")
                    #expect(try await client.execute(uri: "/healthz", method: .get).status == .ok)
                }
            }
        }
    }

    @Test("a Redis that stops answering adds no more than the timeout; limiting resumes when it answers again")
    func frozenRedisStaysWithinBudget() async throws {
        try await withKeyDatabase { store async throws in
            let (_, secret) = try await store.create(name: "frozen", scopes: [.read], ratePerSecond: 1_000, burst: 1_000)
            try await withRedisServer { server async throws in
                let stack = AccessStack(store: store, redis: RedisConfiguration(port: server.port), limits: RateLimitConfiguration())
                try await withStacks([stack]) { () async throws in
                    try await stack.app.test(.router) { client async throws in
                        try await Self.expectLimiting(client: client, secret: secret)
                        server.signal(SIGSTOP)
                        try await Self.expectWithinBudget(client: client, secret: secret) { response in
                            #expect(response.status == .ok)
                        }
                        #expect(stack.limiter.redisErrorCount >= 10)
                        server.signal(SIGCONT)
                        try await Self.expectLimiting(client: client, secret: secret)
                    }
                }
            }
        }
    }

    @Test("Redis stopped and started again: requests are served meanwhile and limiting resumes")
    func redisBackResumes() async throws {
        try await withKeyDatabase { store async throws in
            let (_, secret) = try await store.create(name: "restart", scopes: [.read], ratePerSecond: 1_000, burst: 1_000)
            try await withRedisServer { server async throws in
                // This test is about limiting coming back, not about the 50 ms budget: while every
                // suite runs at once, the first calls to the restarted server (connect, script
                // load) can outlast it again and again.
                let stack = AccessStack(store: store, redis: RedisConfiguration(port: server.port), limits: AccessStack.patientLimits)
                try await withStacks([stack]) { () async throws in
                    try await stack.app.test(.router) { client async throws in
                        try await Self.expectLimiting(client: client, secret: secret)
                        server.stop()
                        try await Self.expectWithinBudget(client: client, secret: secret) { response in
                            #expect(response.status == .ok)
                            #expect(response.headers[RateLimitMiddleware<AuthTestContext>.limitHeader] == nil)
                        }
                        try await server.start()
                        try await Self.expectLimiting(client: client, secret: secret)
                    }
                }
            }
        }
    }

    @Test("configuration from the environment, with bad values refused")
    func configurationFromEnvironment() throws {
        let defaults = try RateLimitConfiguration(environment: [:])
        #expect(defaults == RateLimitConfiguration())
        #expect(defaults.failClosed == false && defaults.redisTimeout == .milliseconds(50))
        let set = try RateLimitConfiguration(environment: [
            "LEDGER_RATE_LIMIT_DEFAULT_PER_SECOND": "25", "LEDGER_RATE_LIMIT_DEFAULT_BURST": "50",
            "LEDGER_RATE_LIMIT_FAIL_CLOSED": "true", "LEDGER_RATE_LIMIT_TIMEOUT_MS": "20",
        ])
        #expect(set.defaultRatePerSecond == 25 && set.defaultBurst == 50 && set.failClosed && set.redisTimeout == .milliseconds(20))
        for (name, value) in [
            ("LEDGER_RATE_LIMIT_DEFAULT_PER_SECOND", "0"), ("LEDGER_RATE_LIMIT_DEFAULT_BURST", "many"),
            ("LEDGER_RATE_LIMIT_FAIL_CLOSED", "maybe"), ("LEDGER_RATE_LIMIT_TIMEOUT_MS", "5000"),
        ] {
            #expect(throws: RateLimitConfiguration.InvalidValue.self) { try RateLimitConfiguration(environment: [name: value]) }
        }
    }

    /// Sends rounds of `requestsPerRound` requests and expects some round in which every request
    /// took less than `budget` (the limiter's 50 ms timeout plus the request's own work, with slack
    /// for a test suite running in parallel on two cores: speed is for benchmarks to measure). A
    /// limiter that really waits on Redis fails every round; a busy machine's scheduling
    /// hiccup fails one. Returns how many requests it sent.
    @discardableResult
    static func expectWithinBudget(
        client: some TestClientProtocol, secret: APIKeySecret, budget: Duration = .milliseconds(1_000),
        rounds: Int = 3, requestsPerRound: Int = 10, check: (TestResponse) -> Void
    ) async throws -> Int {
        var slowestPerRound: [Duration] = []
        for _ in 0..<rounds {
            var slowest: Duration = .zero
            for _ in 0..<requestsPerRound {
                let started = ContinuousClock.now
                let response = try await client.execute(uri: "/v1/accounts", method: .get, headers: bearer(secret))
                slowest = max(slowest, ContinuousClock.now - started)
                check(response)
            }
            slowestPerRound.append(slowest)
            if slowest < budget { break }
        }
        #expect(slowestPerRound.contains { $0 < budget }, "slowest request of each round: \(slowestPerRound)")
        return slowestPerRound.count * requestsPerRound
    }

    /// Polls until responses carry rate limit headers: at once when Redis answers, and about
    /// half a second after it comes back (the Redis client's circuit lets a probe through every
    /// `reconnectBackoff`).
    static func expectLimiting(client: some TestClientProtocol, secret: APIKeySecret) async throws {
        let deadline = ContinuousClock.now.advanced(by: .seconds(5))
        while ContinuousClock.now < deadline {
            let response = try await client.execute(uri: "/v1/accounts", method: .get, headers: bearer(secret))
            #expect(response.status == .ok)
            if response.headers[RateLimitMiddleware<AuthTestContext>.limitHeader] == "1000" { return }
            try await Task.sleep(for: .milliseconds(100))
        }
        Issue.record("rate limiting did not resume within 5 s of Redis answering again")
    }
}
