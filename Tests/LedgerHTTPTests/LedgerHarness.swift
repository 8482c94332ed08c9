import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
@testable import LedgerHTTP
import LedgerStore
import LedgerTestSupport
import Logging
import NIOCore
import Postgres
import Prometheus
import Redis

/// A running ledger for one test: a fresh migrated database, a started committer, a Redis
/// client, and the HTTP application built on them exactly as `ledgerd` builds it.
struct LedgerHarness: Sendable {
    let database: TestDatabase
    let redis: RedisClient
    let committer: Committer
    let reader: LedgerReader
    let registry: PrometheusCollectorRegistry
    let configuration: HTTPConfiguration
    let logger: Logger
    /// The API key every request of `test` carries: all scopes, limits no test reaches.
    let apiKeyID: String
    let apiKey: APIKeySecret

    var services: LedgerServices {
        LedgerServices(committer: committer, reader: reader, pool: database.pool, redis: redis, metricsRegistry: registry)
    }

    static var redisURL: String {
        get throws {
            guard let url = ProcessInfo.processInfo.environment["REDIS_URL"], !url.isEmpty else {
                throw TestEnvironmentError(message: "REDIS_URL is not set: run the tests with `make test`, which starts Redis")
            }
            return url
        }
    }

    /// A Redis URL where nothing listens: port 1 on loopback refuses connections at once.
    static let deadRedisURL = "redis://127.0.0.1:1/0"

    /// Runs `body` with a fresh harness and tears everything down afterwards, also on failure.
    /// - Parameters:
    ///   - redisURL: nil for the test Redis (REDIS_URL).
    ///   - redisDatabase: a Redis database index used by this test alone, for tests that flush it.
    static func with<Value: Sendable>(
        label: String,
        redisURL: String? = nil,
        redisDatabase: Int? = nil,
        configure: (inout HTTPConfiguration) -> Void = { _ in },
        _ body: (LedgerHarness) async throws -> Value
    ) async throws -> Value {
        var logger = Logger(label: "test.http")
        logger.logLevel = .warning
        // Few connections each: many tests run at once against one server.
        let database = try await TestDatabase.create(label: label, connectionsMax: 4, logger: logger)
        var redisConfiguration: RedisConfiguration
        let apiKey: (key: APIKey, secret: APIKeySecret)
        do {
            redisConfiguration = try RedisConfiguration(url: redisURL ?? Self.redisURL)
            apiKey = try await APIKeyStore(pool: database.pool).create(
                name: "harness", scopes: Set(APIKeyScope.allCases), ratePerSecond: APIKey.limitMax, burst: APIKey.limitMax
            )
        } catch {
            await database.drop()
            throw error
        }
        if let redisDatabase { redisConfiguration.database = redisDatabase }
        // The default 50 ms suits a server on loopback; a shared CI machine gets more slack.
        redisConfiguration.commandTimeout = .milliseconds(500)
        redisConfiguration.connectTimeout = .milliseconds(500)
        // A Redis that is deliberately absent would log every reconnect attempt.
        var redisLogger = logger
        if redisURL == deadRedisURL { redisLogger.logLevel = .critical }
        let redis = RedisClient(configuration: redisConfiguration, logger: redisLogger)
        let committer = Committer(pool: database.pool, logger: logger)
        committer.start()
        var configuration = HTTPConfiguration()
        configuration.port = 0
        // These suites test what the service answers, not how fast Redis does: while every suite
        // runs at once on two cores, a first call (connect, script load) can outlast the 50 ms
        // production budget and the limiter would rightly fail open without its headers.
        configuration.rateLimit.redisTimeout = AccessStack.patientLimits.redisTimeout
        configure(&configuration)
        let harness = LedgerHarness(
            database: database, redis: redis, committer: committer, reader: LedgerReader(pool: database.pool),
            registry: PrometheusCollectorRegistry(), configuration: configuration, logger: logger,
            apiKeyID: apiKey.key.id, apiKey: apiKey.secret
        )
        let result: Result<Value, any Error>
        do {
            result = .success(try await body(harness))
        } catch {
            result = .failure(error)
        }
        await committer.shutdown()
        await redis.close()
        await database.drop()
        return try result.get()
    }

    func application() -> some ApplicationProtocol {
        buildApplication(services, configuration: configuration, logger: logger)
    }

    /// Runs `test` against the router in process, every request carrying the harness's API key.
    func test<Value: Sendable>(_ test: @Sendable (any TestClientProtocol) async throws -> Value) async throws -> Value {
        try await application().test(.router) { client in
            try await test(authorized(client))
        }
    }

    /// A client that sends the harness's API key with every request that names none.
    func authorized(_ client: any TestClientProtocol) -> any TestClientProtocol {
        AuthorizedTestClient(client: client, authorization: "Bearer \(apiKey.text)")
    }

    /// Rows in a table, read straight from Postgres: the check that a refused request wrote nothing.
    func count(_ table: String) async throws -> Int {
        try await database.pool.withConnection { connection in
            try connection.query("SELECT count(*) FROM \(table)", step: "count").first!.int(0)
        }
    }

    /// Counts of every table a write could touch.
    func ledgerCounts() async throws -> [String: Int] {
        var counts: [String: Int] = [:]
        for table in ["accounts", "transfers", "entries", "idempotency_keys"] {
            counts[table] = try await count(table)
        }
        return counts
    }
}

/// Adds `Authorization` to requests that carry none, so tests about the ledger need not.
struct AuthorizedTestClient: TestClientProtocol {
    let client: any TestClientProtocol
    let authorization: String

    var port: Int? { client.port }

    func executeRequest(uri: String, method: HTTPRequest.Method, headers: HTTPFields, body: ByteBuffer?) async throws -> TestResponse {
        var headers = headers
        if headers[.authorization] == nil {
            headers[.authorization] = authorization
        }
        return try await client.executeRequest(uri: uri, method: method, headers: headers, body: body)
    }
}
